// The configuration file, with agent-stack-k8s's option names. One file serves the
// webhook and the dispatcher; unknown keys and wrong types are rejected.
import { NEVER, v } from "../validation/index.ts";
import type { Output } from "../validation/index.ts";
import { parseDurationSeconds } from "./duration.ts";
import {
  checkoutParams, commandParams, kubeObject, metadataParams, sidecarParams, volume,
} from "./params.ts";
import { DEFAULT_AGENT_IMAGE } from "../names.ts";

/** A Go duration string ("10m", "1h30m"), read as seconds. */
function duration(defaultSeconds: number) {
  return v
    .union([v.string(), v.number().nonnegative()])
    .transform((value, ctx) => {
      const seconds = typeof value === "number" ? value : parseDurationSeconds(value);
      if (seconds === undefined) {
        ctx.addIssue({ code: "custom", message: `invalid duration ${JSON.stringify(value)} (expected e.g. "90s", "10m", "1h30m")` });
        return NEVER;
      }
      return seconds;
    })
    .default(defaultSeconds);
}

const pullPolicy = v.enum(["Always", "IfNotPresent", "Never", ""]);
const quantity = v.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, "invalid Kubernetes quantity");

const agentConfigSchema = v.strictObject({
  endpoint: v.string().optional(),
  "no-http2": v.boolean().optional(),
  experiment: v.array(v.string()).optional(),
  shell: v.string().optional(),
  "no-color": v.boolean().optional(),
  "strict-single-hooks": v.boolean().optional(),
  "no-multipart-artifact-upload": v.boolean().optional(),
  "trace-context-encoding": v.string().optional(),
  "tracing-backend": v.string().optional(),
  "tracing-service-name": v.string().optional(),
  "tracing-propagate-traceparent": v.boolean().optional(),
  "disable-warnings-for": v.array(v.string()).optional(),
  "debug-signing": v.boolean().optional(),
  "git-skip-fetch-existing-commits": v.boolean().optional(),
  "container-start-timeout": duration(0).optional(),
  "no-pty": v.boolean().optional(),
  "no-command-eval": v.boolean().optional(),
  "no-local-hooks": v.boolean().optional(),
  "no-plugins": v.boolean().optional(),
  "plugin-validation": v.boolean().optional(),
  "signing-jwks-file": v.string().optional(),
  "signing-jwks-key-id": v.string().optional(),
  signingJWKSVolume: volume.optional(),
  "hooks-path": v.string().optional(),
  hooksVolume: volume.optional(),
  "additional-hooks-paths": v.array(v.string()).optional(),
  "additional-hooks": v.array(v.strictObject({ path: v.string().min(1), volume })).optional(),
  "plugins-path": v.string().optional(),
  pluginsVolume: volume.optional(),
  "verification-jwks-file": v.string().optional(),
  "verification-failure-behavior": v.enum(["block", "warn"]).optional(),
  verificationJWKSVolume: volume.optional(),
});

const resourceClassSchema = v.strictObject({
  resource: kubeObject.optional(),
  podResource: kubeObject.optional(),
  nodeSelector: v.record(v.string(), v.string()).optional(),
});

export const configSchema = v.strictObject({
  // Logging and process
  debug: v.boolean().default(false),
  "log-level": v.enum(["debug", "info", "warn", "error"]).default("info"),
  "log-format": v.enum(["logfmt", "json"]).default("json"),
  "no-color": v.boolean().default(false),
  "log-http-payloads": v.boolean().default(false),
  "prometheus-port": v.int().min(0).max(65535).default(0),
  // Identity and Buildkite
  id: v.string().default(""),
  namespace: v.string().min(1).default("default"),
  "agent-token-secret": v.string().min(1).default("buildkite-agent-token"),
  image: v.string().min(1).default(DEFAULT_AGENT_IMAGE),
  queue: v.string().default(""),
  tags: v.array(v.string().regex(/^[^=]+=.*$/, "expected k=v")).default([]),
  // Dispatcher loop
  "max-in-flight": v.int().min(0).default(25),
  "job-creation-concurrency": v.int().min(1).default(25),
  "work-queue-limit": v.int().min(1).default(1_000_000),
  "poll-interval": duration(1).refine((s) => s >= 1, "must be at least 1s"),
  "http-timeout": duration(60),
  "pagination-page-size": v.int().min(1).max(1000).default(1000),
  "pagination-depth-limit": v.int().min(1).max(20).default(2),
  "query-reset-interval": duration(10),
  "enable-queue-pause": v.boolean().default(true),
  "reservation-expiry-seconds": v.int().min(0).max(3600).default(60),
  "image-pull-backoff-grace-period": duration(30),
  "job-cancel-checker-poll-interval": duration(5),
  "empty-job-grace-period": duration(30),
  "pod-pending-timeout": duration(900),
  "enable-completion-watcher": v.boolean().default(true),
  "k8s-client-rate-limiter-qps": v.number().positive().default(10),
  "k8s-client-rate-limiter-burst": v.int().positive().default(20),
  "prohibit-kubernetes-plugin": v.boolean().default(false),
  // Dispatcher: how long a reserved job may keep failing to become a Kubernetes Job (transient
  // errors, webhook down) before it is finished on Buildkite with the last error.
  "job-creation-timeout": duration(600),
  // Job shape
  "job-prefix": v.string().min(1).default("buildkite-"),
  "job-ttl": duration(600),
  "job-active-deadline-seconds": v.int().positive().default(21600),
  "default-termination-grace-period-seconds": v.int().nonnegative().default(60),
  "default-image-pull-policy": pullPolicy.default(""),
  "default-image-check-pull-policy": pullPolicy.default(""),
  "skip-image-check-containers": v.boolean().default(false),
  "image-check-container-cpu-limit": quantity.default("200m"),
  "image-check-container-memory-limit": quantity.default("128Mi"),
  "allow-pod-spec-patch-unsafe-command-modification": v.boolean().default(false),
  "pod-spec-patch": kubeObject.optional(),
  "workspace-volume": volume.optional(),
  "workspace-mount-sub-path-expr": v.string().default(""),
  "non-root-workspace": v.enum(["chown", "fs-group"]).default("chown"),
  "agent-config": agentConfigSchema.optional(),
  "default-checkout-params": checkoutParams.optional(),
  "default-command-params": commandParams.optional(),
  "default-sidecar-params": sidecarParams.optional(),
  "default-metadata": metadataParams.default({}),
  "additional-redacted-vars": v.array(v.string()).default([]),
  "resource-classes": v.record(v.string(), resourceClassSchema).optional(),
  "default-resource-class-name": v.string().default(""),
});

export type Config = Output<typeof configSchema>;
export type AgentConfig = Output<typeof agentConfigSchema>;
export type ResourceClass = Output<typeof resourceClassSchema>;
