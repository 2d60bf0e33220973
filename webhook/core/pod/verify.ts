// Invariants of an agentified pod that patches could break. Checked last, so that a bad patch
// is refused instead of producing a pod where a job hangs or a container is silently skipped.
import type { Container, PodSpec } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { envValue, setEnvValue } from "../container-edit.ts";
import { AGENT_CONTAINER, COPY_AGENT_CONTAINER } from "../names.ts";

function fail(message: string): never {
  throw new AgentifyError("forbidden-patch", message);
}

export function verifyUniqueNames(spec: PodSpec): void {
  const seen = new Set<string>();
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
    if (seen.has(c.name)) throw new AgentifyError("duplicate-container", `container name "${c.name}" is used more than once`);
    seen.add(c.name);
  }
}

/** Checks the bootstrap clients' IDs are exactly 0..N-1 and writes N as the agent's count. */
export function finalizeContainerCount(spec: PodSpec, jobUuid: string): void {
  const agent = spec.containers.find((c) => c.name === AGENT_CONTAINER);
  if (!agent) fail("the agent container was removed by a patch");
  if (envValue(agent, "BUILDKITE_AGENT_ACQUIRE_JOB") !== jobUuid) fail("a patch changed BUILDKITE_AGENT_ACQUIRE_JOB of the agent container");
  if (spec.initContainers?.[0]?.name !== COPY_AGENT_CONTAINER) fail("copy-agent must stay the first init container");
  const clients = spec.containers.filter((c) => c.env?.some((e) => e.name === "BUILDKITE_CONTAINER_ID"));
  const ids = clients.map((c) => Number(envValue(c, "BUILDKITE_CONTAINER_ID")));
  const sorted = [...ids].sort((a, b) => a - b);
  if (sorted.length === 0) fail("no container is left to run the job");
  sorted.forEach((id, i) => {
    if (id !== i) fail(`BUILDKITE_CONTAINER_ID values must be 0..${sorted.length - 1}, each once; got ${ids.join(", ")}`);
  });
  for (const c of clients) checkClient(c);
  setEnvValue(agent, "BUILDKITE_CONTAINER_COUNT", String(clients.length));
}

function checkClient(c: Container): void {
  if (envValue(c, "BUILDKITE_BOOTSTRAP_PHASES") !== "plugin,command") return;
  const command = c.env?.findLast((e) => e.name === "BUILDKITE_COMMAND");
  if (!command) fail(`container "${c.name}" has no BUILDKITE_COMMAND (an empty one runs the step's plugins only)`);
  if (command.valueFrom !== undefined) fail(`container "${c.name}": BUILDKITE_COMMAND must be a literal value, not valueFrom`);
}

/** Grace periods follow the final terminationGracePeriodSeconds, patches included. */
export function finalizeGracePeriods(spec: PodSpec, defaultGrace: number): void {
  const agent = spec.containers.find((c) => c.name === AGENT_CONTAINER);
  if (!agent) return;
  const grace = spec.terminationGracePeriodSeconds ?? defaultGrace;
  spec.terminationGracePeriodSeconds = grace;
  setEnvValue(agent, "BUILDKITE_CANCEL_GRACE_PERIOD", String(Math.max(grace, 1)));
  setEnvValue(agent, "BUILDKITE_SIGNAL_GRACE_PERIOD_SECONDS", String(Math.max(0, grace - 10)));
}
