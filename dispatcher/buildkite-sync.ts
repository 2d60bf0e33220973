// Keeps our view of the jobs we hold in step with Buildkite, every few seconds:
//  - a job cancelled (or otherwise ended) before its pod runs is dropped from the queue, or its
//    Kubernetes Job is deleted (agent-stack-k8s issues #382, #392, #133);
//  - a job still waiting (queued here, or a Job whose agent has not acquired it yet) has its
//    reservation renewed before it expires, so it is never handed back to the queue while we
//    hold it (the upstream controller lets them lapse).
import type { Logger } from "pino";
import type { StacksClient } from "./api/index.ts";
import { AGENT_OWNED_STATES, WAITING_STATES } from "./buildkite/state-lookup.ts";
import type { StateLookup } from "./buildkite/state-lookup.ts";
import type { KubeClients } from "./kube/clients.ts";
import type { JobFacts, PodFacts } from "./kube/facts.ts";
import type { DispatchLedger } from "./loop/ledger.ts";
import type { DispatcherMetrics } from "./metrics.ts";
import { MAX_RESERVE_BATCH } from "./monitor.ts";

export interface BuildkiteSyncDeps {
  client: Pick<StacksClient, "batchReserveJobs">;
  stackKey: string;
  states: Pick<StateLookup, "states"> & Partial<Pick<StateLookup, "finishedByUs">>;
  ledger: DispatchLedger;
  /** Takes a job out of the waiting queues (reserved, or built and waiting to be created). */
  unqueue(uuid: string): boolean;
  cancelled: Set<string>;
  jobs(): Iterable<JobFacts>;
  pods(): Iterable<PodFacts>;
  kube: Pick<KubeClients, "deleteJob">;
  /** 0 = Buildkite's default (900 s). */
  reservationExpirySeconds: number;
  metrics: DispatcherMetrics;
  logger: Logger;
  now?: () => number;
}

export class BuildkiteSync {
  readonly #deps: BuildkiteSyncDeps;
  readonly #now: () => number;
  readonly #reservedAt = new Map<string, number>();
  readonly #deleting = new Set<string>();

  constructor(deps: BuildkiteSyncDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Renew when a third of the reservation has passed. */
  get renewAfterMs(): number {
    return ((this.#deps.reservationExpirySeconds || 900) * 1000) / 3;
  }

  reserved(uuids: readonly string[]): void {
    const now = this.#now();
    for (const uuid of uuids) this.#reservedAt.set(uuid, now);
  }

  /** Jobs whose Buildkite state we care about: held locally, or Jobs whose pod has not started. */
  targets(): { local: string[]; jobsByUuid: Map<string, JobFacts> } {
    const { ledger } = this.#deps;
    const started = new Set<string>();
    for (const pod of this.#deps.pods()) if (pod.phase !== "Pending") started.add(pod.uuid);
    const jobsByUuid = new Map<string, JobFacts>();
    for (const job of this.#deps.jobs()) if (!job.finished && !started.has(job.uuid)) jobsByUuid.set(job.uuid, job);
    const local = [...ledger.localIds("queued"), ...ledger.localIds("dispatching"), ...ledger.localIds("created")].filter((u) => !jobsByUuid.has(u));
    return { local, jobsByUuid };
  }

  async tick(signal?: AbortSignal): Promise<void> {
    const { local, jobsByUuid } = this.targets();
    const uuids = [...local, ...jobsByUuid.keys()];
    const tracked = new Set(uuids);
    for (const uuid of this.#reservedAt.keys()) if (!tracked.has(uuid)) this.#reservedAt.delete(uuid);
    for (const uuid of this.#deleting) if (!jobsByUuid.has(uuid)) this.#deleting.delete(uuid);
    if (uuids.length === 0) return;
    const states = await this.#deps.states.states(uuids, signal);
    const renew: string[] = [];
    const now = this.#now();
    for (const uuid of uuids) {
      const state = states.get(uuid);
      if (state === undefined) continue;
      if (WAITING_STATES.has(state)) {
        const last = this.#reservedAt.get(uuid);
        if (state === "scheduled" || last === undefined || now - last >= this.renewAfterMs) renew.push(uuid);
        continue;
      }
      this.#reservedAt.delete(uuid);
      if (AGENT_OWNED_STATES.has(state) && state !== "canceling") continue;
      // Finished by our own watchers: the Job stays until its TTL, with the failed pod to inspect.
      if (this.#deps.states.finishedByUs?.(uuid)) continue;
      // Cancelled, or ended some other way, while no pod of ours runs it: nothing will ever run it.
      await this.#drop(uuid, state, jobsByUuid.get(uuid));
    }
    if (renew.length > 0) await this.#renew(renew, signal);
  }

  async #drop(uuid: string, state: string, job: JobFacts | undefined): Promise<void> {
    const { ledger, metrics, logger } = this.#deps;
    if (job) {
      if (this.#deleting.has(uuid)) return;
      this.#deleting.add(uuid);
      try {
        await this.#deps.kube.deleteJob(job.name);
        metrics.jobsCancelled.inc({ stage: "job" });
        logger.info({ jobUuid: uuid, state, name: job.name }, "Buildkite job ended before its pod started; deleted its Kubernetes Job");
      } catch (err) {
        this.#deleting.delete(uuid);
        logger.warn({ err, jobUuid: uuid, name: job.name }, "could not delete the Kubernetes Job of an ended Buildkite job");
      }
      return;
    }
    const stage = ledger.stage(uuid);
    if ((stage === "queued" || stage === "dispatching") && this.#deps.unqueue(uuid)) {
      ledger.release(uuid);
      metrics.jobsCancelled.inc({ stage: "queued" });
      logger.info({ jobUuid: uuid, state }, "Buildkite job ended while queued; dropped it");
    } else if (stage === "dispatching") {
      // Being fetched or created right now: the worker checks this flag before each step.
      this.#deps.cancelled.add(uuid);
    }
  }

  async #renew(uuids: string[], signal?: AbortSignal): Promise<void> {
    const { client, metrics, logger } = this.#deps;
    for (let i = 0; i < uuids.length; i += MAX_RESERVE_BATCH) {
      const batch = uuids.slice(i, i + MAX_RESERVE_BATCH);
      try {
        const res = await client.batchReserveJobs(this.#deps.stackKey, {
          job_uuids: batch,
          reservation_expiry_seconds: this.#deps.reservationExpirySeconds,
        }, signal ? { signal } : undefined);
        this.reserved(res.body.reserved ?? []);
        metrics.reservationsRenewed.inc(res.body.reserved?.length ?? 0);
        if ((res.body.not_reserved ?? []).length > 0) logger.debug({ notReserved: res.body.not_reserved }, "some reservations could not be renewed");
      } catch (err) {
        logger.warn({ err, count: batch.length }, "could not renew reservations; will retry");
      }
    }
  }
}
