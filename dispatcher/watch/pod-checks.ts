// Pure checks on a pod's status: the situations in which its Buildkite job can never run, and
// the precise message to finish it with.
import type { ContainerFacts, PodFacts } from "../kube/facts.ts";
import { humanDuration, renderTable } from "./table.ts";

/** Waiting reasons that mean a container cannot start; they may clear up, so they get a grace period. */
export const IMAGE_FAILURE_REASONS: ReadonlySet<string> = new Set([
  "ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "ImageInspectError",
  "CreateContainerError", "CreateContainerConfigError", "PreCreateHookError", "PreStartHookError",
]);
/** Waiting reasons that never clear up. */
export const IMMEDIATE_FAILURE_REASONS: ReadonlySet<string> = new Set(["InvalidImageName"]);

/** Containers that cannot start: immediately for InvalidImageName, after `graceMs` (since the pod started) for the rest. */
export function failingContainers(pod: PodFacts, now: number, graceMs: number): ContainerFacts[] {
  const since = pod.startedAt ?? pod.createdAt;
  return pod.containers.filter((c) => {
    const reason = c.waiting?.reason ?? "";
    if (IMMEDIATE_FAILURE_REASONS.has(reason)) return true;
    return IMAGE_FAILURE_REASONS.has(reason) && now - since >= graceMs;
  });
}

export function imageFailureDetail(failing: readonly ContainerFacts[]): string {
  const rows = failing.map((c) => [c.name, JSON.stringify(c.image), c.waiting?.reason ?? "", c.waiting?.message ?? ""]);
  return `The following containers could not be created or their images could not be pulled:\n\n${renderTable(["CONTAINER", "IMAGE", "REASON", "MESSAGE"], rows, 160)}`;
}

export function imageFailureNotification(failing: readonly ContainerFacts[]): string {
  const parts = failing.map((c) => `${c.name}: ${c.waiting?.reason ?? ""}${c.waiting?.message ? ` (${c.waiting.message})` : ""}`);
  return `Image pull failure; the job will fail once the agent times out. ${parts.join("; ")}`;
}

/** Pending for at least `timeoutMs` since creation (unschedulable pods have no start time). */
export function pendingTooLong(pod: PodFacts, now: number, timeoutMs: number): boolean {
  return pod.phase === "Pending" && !pod.deleting && now - pod.createdAt >= timeoutMs;
}

export function pendingTimeoutDetail(pod: PodFacts, now: number): string {
  const lines = pod.conditions.map((c) => `  - ${c.type}: ${c.status}${c.reason ? ` (Reason: ${c.reason}${c.message ? `, Message: ${c.message}` : ""})` : ""}`);
  return `The pod ${pod.name} has been in Pending state for ${humanDuration(now - pod.createdAt)} without starting.\n` +
    (lines.length > 0 ? `\nPod Conditions:\n${lines.join("\n")}\n` : "");
}

/** Init containers (not native sidecars) that exited non-zero: the pod will never reach the agent. */
export function failedInitContainers(pod: PodFacts): ContainerFacts[] {
  return pod.containers.filter((c) => c.init && !c.sidecar && c.terminated !== undefined && c.terminated.exitCode !== 0);
}

export function initFailureDetail(failed: readonly ContainerFacts[]): string {
  const rows = failed.map((c) => [
    c.name, String(c.terminated?.exitCode ?? ""), c.terminated?.signal === undefined ? "" : String(c.terminated.signal),
    c.terminated?.reason ?? "", c.terminated?.message ?? "",
  ]);
  return `The following init containers failed:\n\n${renderTable(["CONTAINER", "EXIT CODE", "SIGNAL", "REASON", "MESSAGE"], rows, 160)}`;
}
