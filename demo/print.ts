// How the demo shows things: one readable block per Buildkite job becoming an agentified Job.
import type { Container, Job } from "../webhook/core/k8s.ts";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

export function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function step(title: string): void {
  say(`\n${bold(`==> ${title}`)}`);
}

function env(c: Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

function describeContainer(c: Container): string {
  const id = env(c, "BUILDKITE_CONTAINER_ID");
  const command = env(c, "BUILDKITE_COMMAND");
  const role =
    c.name === "agent" ? `buildkite-agent start, BUILDKITE_CONTAINER_COUNT=${env(c, "BUILDKITE_CONTAINER_COUNT")}`
    : c.restartPolicy === "Always" ? "native sidecar"
    : id !== undefined ? `bootstrap client ${id}${command ? `: ${JSON.stringify(command)}` : ""}`
    : (c.command ?? []).join(" ");
  return `${c.name.padEnd(14)} ${dim((c.image ?? "").padEnd(34))} ${role}`;
}

export interface AuditSummary {
  result: string;
  reason?: string;
  patchOps?: number;
  durationMs?: number;
}

export function printAgentifiedJob(job: Job, audit: AuditSummary | undefined, podName: string | undefined): void {
  const spec = job.spec.template.spec;
  const uuid = job.metadata.labels?.["buildkite.com/job-uuid"] ?? "?";
  say(`\n${bold(job.metadata.name ?? "(unnamed)")}  ${dim(`buildkite job ${uuid}`)}`);
  if (audit) {
    say(`  webhook audit: ${audit.result}${audit.reason && audit.reason !== audit.result ? ` (${audit.reason})` : ""}, ${audit.patchOps ?? 0} patch ops, ${audit.durationMs ?? "?"} ms`);
  }
  say(`  suspend: ${String(job.spec.suspend)}, backoffLimit: ${String(job.spec.backoffLimit)}, status: ${job.metadata.annotations?.["buildkite.com/agentified"] ?? "NOT agentified"}`);
  say("  init containers:");
  for (const c of spec.initContainers ?? []) say(`    ${describeContainer(c)}`);
  say("  containers:");
  for (const c of spec.containers) say(`    ${describeContainer(c)}`);
  say(`  pod: ${podName ? `${podName} (Pending: this control plane has no nodes)` : "not created yet"}`);
}
