// Reading what the real kubelet reported about a Buildkite job's pod: its status (phase, every
// init and regular container's state with its timestamps) and its containers' logs.
import type { V1ContainerStatus, V1Pod } from "@kubernetes/client-node";
import { expect } from "chai";
import type { JobRecord } from "../../standin/job-record.ts";
import type { JobsEnv } from "../jobs/env.ts";

export const TERMINAL_PHASES: readonly string[] = ["Succeeded", "Failed"];

/** One line per container: name, state, exit code and reason, for failure messages. */
export function describePod(pod: V1Pod | undefined): string {
  if (!pod) return "no pod";
  const st = pod.status;
  const line = (s: V1ContainerStatus) => {
    const t = s.state?.terminated;
    const w = s.state?.waiting;
    const state = t ? `terminated exit=${t.exitCode} ${t.reason ?? ""}` : w ? `waiting ${w.reason ?? ""} ${w.message ?? ""}` : s.state?.running ? "running" : "unknown";
    return `  ${s.name}: ${state}`;
  };
  return [`pod ${pod.metadata?.name ?? "?"} phase=${st?.phase ?? "?"} ${st?.reason ?? ""}`,
    ...(st?.initContainerStatuses ?? []).map(line), ...(st?.containerStatuses ?? []).map(line)].join("\n");
}

export function isTerminal(pod: V1Pod): boolean {
  return TERMINAL_PHASES.includes(pod.status?.phase ?? "");
}

/** A container's status, init or regular; fails naming the statuses there are. */
export function containerStatus(pod: V1Pod, name: string): V1ContainerStatus {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  const found = all.find((s) => s.name === name);
  if (!found) throw new Error(`no status for container ${name}\n${describePod(pod)}`);
  return found;
}

/** The container's terminated state, which must be there. */
export function terminated(pod: V1Pod, name: string): { exitCode: number; reason: string; startedAt: number; finishedAt: number } {
  const t = containerStatus(pod, name).state?.terminated;
  if (!t) throw new Error(`container ${name} has not terminated\n${describePod(pod)}`);
  return { exitCode: t.exitCode, reason: t.reason ?? "", startedAt: ms(t.startedAt), finishedAt: ms(t.finishedAt) };
}

/** A status timestamp in ms: a Date from a typed list, a string from a watch. */
export function ms(value: Date | string | undefined): number {
  const n = value === undefined ? Number.NaN : new Date(value).getTime();
  if (Number.isNaN(n)) throw new Error(`a container status has no timestamp: ${String(value)}`);
  return n;
}

export async function containerLog(e: JobsEnv, pod: V1Pod, container: string): Promise<string> {
  return e.env.kube.core.readNamespacedPodLog({ namespace: e.env.namespace, name: pod.metadata?.name ?? "", container });
}

/** The detail a stack (the dispatcher) finished the job with; fails unless a stack finished it with -1. */
export function stackFinishDetail(e: JobsEnv, record: JobRecord): string {
  expect(record.finished_by, `finished by (record: ${JSON.stringify(record.history)})`).to.equal("stack");
  expect(record.exit_status).to.equal("-1");
  return e.env.standin.job(record.id)?.finish?.detail ?? "";
}

/** Exactly one finish was attempted and accepted so far (a file's last test looks again later). */
export function expectFinishedOnce(e: JobsEnv, uuid: string): void {
  const record = e.env.standin.jobRecord(uuid);
  expect(record.finish_count, "accepted finishes").to.equal(1);
  expect(record.finish_attempts.map((a) => `${a.by}:${String(a.exitStatus)}:${a.refusal ?? "ok"}`), "finish attempts").to.have.length(1);
}
