// Small builders for core unit tests: a labelled bare Job, a config from an object, and
// lookups into an agentified Job.
import { agentify } from "../../../webhook/core/index.ts";
import type { Config, JsonObject } from "../../../webhook/core/index.ts";
import { configFromObject } from "../../../webhook/core/config/index.ts";
import type { Container, Job, PodSpec } from "../../../webhook/core/k8s.ts";

export const UUID = "0192a7f0-0fff-4000-8000-000000000fff";

export interface JobParts {
  containers?: Container[];
  pod?: Partial<PodSpec>;
  annotations?: Record<string, string>;
  plugin?: Record<string, unknown>;
}

export function labelledJob(parts: JobParts = {}): JsonObject {
  const annotations: Record<string, string> = { ...parts.annotations };
  if (parts.plugin) annotations["buildkite.com/kubernetes-plugin"] = JSON.stringify(parts.plugin);
  const job: Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: `buildkite-${UUID}`, labels: { "buildkite.com/job-uuid": UUID }, annotations },
    spec: {
      suspend: true,
      template: { spec: { ...parts.pod, containers: parts.containers ?? [{ name: "build", image: "alpine:3.20", command: ["make"] }] } },
    },
  };
  return job as unknown as JsonObject;
}

export function config(raw: Record<string, unknown> = {}): Config {
  return configFromObject(raw, "test config");
}

export function agentified(job: JsonObject, cfg: Config = config()): Job {
  return agentify(job, cfg) as unknown as Job;
}

export function podOf(job: Job): PodSpec {
  return job.spec.template.spec;
}

export function container(job: Job, name: string): Container {
  const spec = podOf(job);
  const found = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name} in ${[...(spec.initContainers ?? []), ...spec.containers].map((c) => c.name).join(", ")}`);
  return found;
}

export function envOf(c: Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}
