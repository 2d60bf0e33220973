// The dispatcher's command-line flags: one per config key it uses, named as the key, each also
// settable by an environment variable named as the key in upper snake case (agent-stack-k8s's
// scheme; `id` is BUILDKITE_K8S_STACK_CONTROLLER_ID there and here).
import type { Config } from "../../webhook/core/index.ts";

export type OptionKind = "string" | "int" | "number" | "bool" | "duration" | "list";

export interface OptionSpec {
  key: keyof Config & string;
  kind: OptionKind;
  help: string;
  env?: string;
}

export const DISPATCHER_OPTIONS: readonly OptionSpec[] = [
  { key: "namespace", kind: "string", help: "namespace of the Jobs, the token Secret and PodTemplates" },
  { key: "id", kind: "string", help: "stack key and buildkite.com/controller-id label (default stack key: agentify)", env: "BUILDKITE_K8S_STACK_CONTROLLER_ID" },
  { key: "agent-token-secret", kind: "string", help: "Secret holding BUILDKITE_AGENT_TOKEN, used when the variable is not set" },
  { key: "queue", kind: "string", help: "cluster queue key (default: the queue tag, else the default queue)" },
  { key: "tags", kind: "list", help: "this stack's agent tags, comma-separated k=v" },
  { key: "image", kind: "string", help: "image of the default container-0" },
  { key: "job-prefix", kind: "string", help: "Job name prefix (name = prefix + job UUID)" },
  { key: "max-in-flight", kind: "int", help: "most jobs reserved or running at once (0 = unlimited)" },
  { key: "job-creation-concurrency", kind: "int", help: "Jobs created in parallel" },
  { key: "work-queue-limit", kind: "int", help: "most reserved jobs waiting for a creation worker" },
  { key: "job-creation-timeout", kind: "duration", help: "finish a job whose Job could not be created for this long (e.g. 10m)" },
  { key: "poll-interval", kind: "duration", help: "time between scheduled-jobs polls (at least 1s)" },
  { key: "http-timeout", kind: "duration", help: "timeout of one Buildkite API request" },
  { key: "pagination-page-size", kind: "int", help: "jobs per scheduled-jobs page (1-1000)" },
  { key: "pagination-depth-limit", kind: "int", help: "pages read per poll (1-20)" },
  { key: "enable-queue-pause", kind: "bool", help: "reserve and create nothing while the cluster queue is paused" },
  { key: "reservation-expiry-seconds", kind: "int", help: "reservation length; renewed while a job waits (0 = Buildkite's default)" },
  { key: "prohibit-kubernetes-plugin", kind: "bool", help: "fail jobs that use the kubernetes plugin" },
  { key: "job-cancel-checker-poll-interval", kind: "duration", help: "how often jobs without a running pod are checked for cancellation" },
  { key: "image-pull-backoff-grace-period", kind: "duration", help: "how long image pull failures may last before the job is failed" },
  { key: "pod-pending-timeout", kind: "duration", help: "fail jobs whose pod stays Pending this long" },
  { key: "empty-job-grace-period", kind: "duration", help: "fail jobs whose Kubernetes Job has no pod after this long" },
  { key: "k8s-client-rate-limiter-qps", kind: "number", help: "Kubernetes requests per second" },
  { key: "k8s-client-rate-limiter-burst", kind: "int", help: "Kubernetes request burst" },
  { key: "prometheus-port", kind: "int", help: "port of /metrics, /healthz and /readyz (0 = off)" },
  { key: "log-level", kind: "string", help: "debug, info, warn or error" },
  { key: "log-format", kind: "string", help: "json or logfmt" },
  { key: "debug", kind: "bool", help: "log at debug level" },
];

export function envName(spec: OptionSpec): string {
  return spec.env ?? spec.key.toUpperCase().replaceAll("-", "_");
}

/** commander's camelCase attribute for a kebab-case flag. */
export function flagAttribute(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export class OptionValueError extends Error {}

/** Text from a flag or the environment → the config value (durations stay text; the schema reads them). */
export function parseOptionValue(spec: OptionSpec, text: string, source: string): unknown {
  const fail = (expected: string): never => {
    throw new OptionValueError(`${source}: expected ${expected}, got ${JSON.stringify(text)}`);
  };
  switch (spec.kind) {
    case "string":
    case "duration":
      return text;
    case "int": {
      const n = Number(text);
      return text.trim() !== "" && Number.isInteger(n) ? n : fail("an integer");
    }
    case "number": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? n : fail("a number");
    }
    case "bool": {
      const lower = text.trim().toLowerCase();
      if (["true", "1", "yes"].includes(lower)) return true;
      if (["false", "0", "no"].includes(lower)) return false;
      return fail("true or false");
    }
    case "list":
      return text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  }
}
