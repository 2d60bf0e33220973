// Watches our Jobs for the ways a Job ends without its agent ever acquiring the Buildkite job:
// it failed (pod evicted, OOM-killed, deleted) or completed early, or it never got a pod at all
// (missing service account, quota, never agentified). The Buildkite job is finished with the
// Job's Kubernetes events, so the reason is visible where the build is.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { KubeClients } from "../kube/clients.ts";
import type { JobFacts, PodFacts } from "../kube/facts.ts";
import { eventsTable, NO_EVENTS } from "./events.ts";
import type { FailureReporter } from "./failure-reporter.ts";
import { humanDuration } from "./table.ts";

export interface JobWatcherDeps {
  reporter: FailureReporter;
  kube: Pick<KubeClients, "listEvents" | "deleteJob" | "expireJob">;
  jobs(): Iterable<JobFacts>;
  podsOf(uuid: string): PodFacts[];
  emptyJobGraceMs: number;
  /** Wait before asking again when a Job has no events yet; default 1500 ms. */
  eventsRetryDelayMs?: number;
  logger: Logger;
  now?: () => number;
}

export function finishedJobDetail(job: JobFacts): string {
  const why = job.finished && (job.finished.reason || job.finished.message)
    ? ` (${[job.finished.reason, job.finished.message].filter(Boolean).join(": ")})`
    : "";
  if (job.finished?.type === "Complete") return `The Kubernetes Job ${job.name} completed${why}, but the buildkite-agent never acquired this Buildkite job.`;
  if (job.hadPods) {
    return `The Kubernetes Job ${job.name} failed${why} before the buildkite-agent acquired this Buildkite job: its pod was killed or ` +
      "failed before the agent started (eviction, OOM, node failure, deletion).";
  }
  return `The Kubernetes Job ${job.name} ended${why} without starting a pod.`;
}

export class JobWatcher {
  readonly #deps: JobWatcherDeps;
  readonly #now: () => number;

  constructor(deps: JobWatcherDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  onDelete(job: JobFacts): void {
    this.#deps.reporter.forget(job.uuid);
  }

  tick(): void {
    for (const job of this.#deps.jobs()) this.check(job);
  }

  check(job: JobFacts): void {
    const { reporter } = this.#deps;
    if (reporter.isHandled(job.uuid)) return;
    if (job.finished) {
      void reporter.report(job.uuid, {
        reason: job.finished.type === "Complete" ? "job-completed-without-agent" : "job-failed-before-agent",
        detail: async () => `${finishedJobDetail(job)}\n\n${await this.#events(job)}`,
      });
      return;
    }
    const age = this.#now() - (job.startedAt ?? job.createdAt);
    if (job.hadPods || this.#deps.podsOf(job.uuid).length > 0 || age < this.#deps.emptyJobGraceMs) return;
    void reporter.report(job.uuid, {
      reason: "job-without-pod",
      detail: async () => {
        const suspended = job.suspended ? " It is suspended: the agentify webhook never mutated it." : "";
        return `The Kubernetes Job ${job.name} spent ${humanDuration(age)} without starting a pod.${suspended}\n\n${await this.#events(job)}`;
      },
      // A suspended Job never runs or ends: delete it. Otherwise let the job controller fail it,
      // keeping the object (and so the duplicate check) until its TTL.
      after: () => (job.suspended ? this.#deps.kube.deleteJob(job.name) : this.#deps.kube.expireJob(job.name)),
    });
  }

  async #events(job: JobFacts): Promise<string> {
    const pods = this.#deps.podsOf(job.uuid).slice(0, 3).map((p) => ({ kind: "Pod", name: p.name }));
    const objects = [{ kind: "Job", name: job.name }, ...pods];
    const table = await eventsTable(this.#deps.kube, objects);
    if (table !== NO_EVENTS) return table;
    // Events are recorded asynchronously (and rate-limited) by the controllers: give them a moment.
    await sleep(this.#deps.eventsRetryDelayMs ?? 1500);
    return eventsTable(this.#deps.kube, objects);
  }
}
