// Reads a bare Job: checks the shape of the parts the core touches (the rest is the apiserver's
// business) and the contract's rules, with errors that give the field's path.
import { z } from "zod";
import type { Job } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { formatIssues } from "../config/issues.ts";
import { isReservedName, JOB_UUID_LABEL } from "../names.ts";

const envVar = z.looseObject({ name: z.string().min(1), value: z.string().optional() });
const mount = z.looseObject({ name: z.string().min(1), mountPath: z.string().min(1) });
const container = z.looseObject({
  name: z.string().optional(),
  image: z.string().optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.array(envVar).optional(),
  volumeMounts: z.array(mount).optional(),
  envFrom: z.array(z.record(z.string(), z.unknown())).optional(),
});
const stringMap = z.record(z.string(), z.string());
const meta = z.looseObject({ labels: stringMap.optional(), annotations: stringMap.optional() });

const bareJob = z.looseObject({
  kind: z.literal("Job").optional(),
  metadata: meta,
  spec: z.looseObject({
    template: z.looseObject({
      metadata: meta.optional(),
      spec: z.looseObject({
        containers: z.array(container),
        initContainers: z.array(container).optional(),
        volumes: z.array(z.looseObject({ name: z.string().min(1) })).optional(),
        securityContext: z.looseObject({ runAsUser: z.int().optional(), runAsGroup: z.int().optional() }).optional(),
        terminationGracePeriodSeconds: z.int().nonnegative().optional(),
      }),
    }),
  }),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The label's value, or undefined for a Job that is not ours to agentify. */
export function jobUuidLabel(input: unknown): string | undefined {
  const labels = (input as { metadata?: { labels?: unknown } } | null)?.metadata?.labels;
  if (typeof labels !== "object" || labels === null) return undefined;
  const value = (labels as Record<string, unknown>)[JOB_UUID_LABEL];
  return value === undefined ? undefined : String(value);
}

export function readBareJob(input: unknown, uuid: string): Job {
  if (!UUID.test(uuid)) {
    throw new AgentifyError("invalid-uuid", `label ${JOB_UUID_LABEL} must be a Buildkite job UUID, got ${JSON.stringify(uuid)}`);
  }
  const parsed = bareJob.safeParse(input);
  if (!parsed.success) throw new AgentifyError("invalid-job", `invalid Job: ${formatIssues(parsed.error.issues)}`);
  // Validation only: the input itself is kept, so its key order (and the output's) is the user's.
  const job = structuredClone(input) as Job;
  checkContainers(job);
  return job;
}

function checkContainers(job: Job): void {
  const spec = job.spec.template.spec;
  if (spec.containers.length === 0) {
    throw new AgentifyError("no-containers", "spec.template.spec.containers is empty: a bare Job needs at least one command container");
  }
  const seen = new Set<string>();
  const all = [...spec.containers.map((c, i) => c.name || `container-${i}`), ...(spec.initContainers ?? []).map((c) => c.name)];
  for (const name of all) {
    if (isReservedName(name)) {
      throw new AgentifyError("reserved-name", `container name "${name}" is reserved (agent, checkout, copy-agent and imagecheck-* are added by agentify)`);
    }
    if (seen.has(name)) throw new AgentifyError("duplicate-container", `container name "${name}" is used more than once`);
    seen.add(name);
  }
}
