// The poll loop: every poll-interval (≥ 1 s, and never sooner than a Retry-After) list the
// queue's scheduled jobs (up to pagination-depth-limit pages), keep those whose agent query
// rules match our tags and that we do not already hold, order them by priority, and reserve only
// as many as there are free slots. Reserved jobs go to the creation workers.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { isPermanentError, isQueuePaused, StacksApiError } from "./api/index.ts";
import type { ScheduledJob, StacksClient } from "./api/index.ts";
import type { QueuedJob } from "./dispatch-job.ts";
import { matchJobTags, normaliseJobRules } from "./loop/agent-tags.ts";
import type { StackTags } from "./loop/agent-tags.ts";
import type { DispatchLedger } from "./loop/ledger.ts";
import type { PauseGate } from "./loop/pause-gate.ts";
import type { DispatcherMetrics } from "./metrics.ts";

export const MAX_RESERVE_BATCH = 1000;

export interface MonitorDeps {
  client: Pick<StacksClient, "listScheduledJobs" | "batchReserveJobs">;
  stackKey: string;
  queueKey: string;
  stack: StackTags;
  ledger: DispatchLedger;
  pause: PauseGate;
  enableQueuePause: boolean;
  pollIntervalMs: number;
  pageSize: number;
  depthLimit: number;
  reservationExpirySeconds: number;
  /** Room left in the work queue (work-queue-limit minus queued). */
  queueRoom(): number;
  enqueue(job: QueuedJob): void;
  /** Reservation bookkeeping for renewals. */
  reserved(uuids: readonly string[]): void;
  onPoll(ok: boolean, error?: unknown): void;
  /** Called when Buildkite no longer knows our stack (404): register it again. */
  reregister?(): Promise<void>;
  /** With leader election: false once this process is not the leader; nothing is reserved then. */
  mayAct?(): boolean;
  metrics: DispatcherMetrics;
  logger: Logger;
}

export interface Candidate {
  job: ScheduledJob;
  rules: string[];
}

/** Matching jobs we do not hold yet, highest priority first (stable: oldest first within a priority). */
export function selectCandidates(jobs: readonly ScheduledJob[], deps: Pick<MonitorDeps, "stack" | "ledger">, onFiltered: (job: ScheduledJob, reason: string) => void): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const job of jobs) {
    if (seen.has(job.id) || deps.ledger.isKnown(job.id)) continue;
    seen.add(job.id);
    const rules = normaliseJobRules(job.agent_query_rules ?? [], deps.stack);
    const match = matchJobTags(rules, deps.stack.tags);
    if (!match.matched) {
      onFiltered(job, match.reason);
      continue;
    }
    out.push({ job, rules });
  }
  return out.sort((a, b) => (b.job.priority ?? 0) - (a.job.priority ?? 0));
}

export class Monitor {
  readonly #deps: MonitorDeps;
  readonly #filteredLogged = new Set<string>();

  constructor(deps: MonitorDeps) {
    this.#deps = deps;
  }

  /** Polls until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const started = Date.now();
      let waitMs = this.#deps.pollIntervalMs;
      try {
        const retryAfterMs = await this.pollOnce(signal);
        failures = 0;
        waitMs = Math.max(waitMs, retryAfterMs);
        this.#deps.onPoll(true);
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        this.#deps.onPoll(false, err);
        const retryAfter = err instanceof StacksApiError ? err.retryAfterMs : 0;
        // Permanent errors (bad token, stack gone) need a human: keep trying, slowly, and say so.
        const backoff = isPermanentError(err) ? Math.min(5000 * failures, 60_000) : Math.min(1000 * 2 ** (failures - 1), 30_000);
        waitMs = Math.max(waitMs, retryAfter, backoff);
        this.#deps.logger[isPermanentError(err) ? "error" : "warn"]({ err, failures, waitMs }, "polling scheduled jobs failed");
        if (err instanceof StacksApiError && err.status === 404 && this.#deps.reregister) {
          await this.#deps.reregister().catch((e: unknown) => this.#deps.logger.error({ err: e }, "could not register the stack again"));
        }
      }
      const elapsed = Date.now() - started;
      await sleep(Math.max(0, waitMs - elapsed), undefined, { signal }).catch(() => undefined);
    }
  }

  /** One poll; returns the Retry-After to honour (ms). */
  async pollOnce(signal?: AbortSignal): Promise<number> {
    const d = this.#deps;
    const stop = d.metrics.pollSeconds.startTimer();
    try {
      const free = Math.min(d.ledger.freeSlots(), d.queueRoom());
      const { jobs, paused, retryAfterMs } = await this.#list(free > 0 ? d.depthLimit : 1, free > 0 ? d.pageSize : 1, signal);
      d.pause.set(d.enableQueuePause && paused);
      d.metrics.queuePaused.set(paused ? 1 : 0);
      d.metrics.polls.inc({ result: "ok" });
      d.metrics.jobsSeen.inc(jobs.length);
      if (d.pause.paused || free <= 0 || jobs.length === 0) return retryAfterMs;
      const candidates = selectCandidates(jobs, d, (job, reason) => this.#filtered(job, reason));
      const chosen = Number.isFinite(free) ? candidates.slice(0, free) : candidates;
      if (chosen.length > 0) await this.#reserve(chosen, signal);
      return retryAfterMs;
    } catch (err) {
      d.metrics.polls.inc({ result: "error" });
      throw err;
    } finally {
      stop();
    }
  }

  async #list(depth: number, limit: number, signal?: AbortSignal): Promise<{ jobs: ScheduledJob[]; paused: boolean; retryAfterMs: number }> {
    const d = this.#deps;
    const jobs: ScheduledJob[] = [];
    let paused = false;
    let after: string | undefined;
    let retryAfterMs = 0;
    for (let page = 0; page < depth; page++) {
      const res = await d.client.listScheduledJobs(d.stackKey, { queueKey: d.queueKey, limit, ...(after ? { after } : {}) }, signal ? { signal } : undefined);
      jobs.push(...(res.body.jobs ?? []));
      paused ||= res.body.cluster_queue ? isQueuePaused(res.body.cluster_queue) : false;
      retryAfterMs = res.retryAfterMs;
      const next = res.body.page_info;
      if (!next?.has_next_page || !next.end_cursor || retryAfterMs > 0) break;
      after = next.end_cursor;
    }
    return { jobs, paused, retryAfterMs };
  }

  async #reserve(chosen: Candidate[], signal?: AbortSignal): Promise<void> {
    const d = this.#deps;
    for (let i = 0; i < chosen.length; i += MAX_RESERVE_BATCH) {
      // Checked right before each reserve: a leader frozen past its renew deadline reserves nothing.
      if (d.mayAct && !d.mayAct()) return;
      const batch = chosen.slice(i, i + MAX_RESERVE_BATCH);
      const res = await d.client.batchReserveJobs(d.stackKey, {
        job_uuids: batch.map((c) => c.job.id),
        reservation_expiry_seconds: d.reservationExpirySeconds,
      }, signal ? { signal } : undefined);
      const reserved = new Set(res.body.reserved ?? []);
      const notReserved = res.body.not_reserved ?? [];
      d.metrics.jobsReserved.inc(reserved.size);
      d.metrics.jobsNotReserved.inc(notReserved.length);
      if (notReserved.length > 0) d.logger.debug({ count: notReserved.length }, "jobs not reserved (likely taken by another stack or an agent)");
      const now = Date.now();
      d.reserved([...reserved]);
      for (const c of batch) {
        if (!reserved.has(c.job.id)) continue;
        d.ledger.setStage(c.job.id, "queued");
        d.enqueue({ id: c.job.id, priority: c.job.priority ?? 0, agentQueryRules: c.rules, reservedAt: now });
      }
      if (reserved.size > 0) d.logger.info({ reserved: reserved.size, notReserved: notReserved.length }, "reserved jobs");
    }
  }

  #filtered(job: ScheduledJob, reason: string): void {
    this.#deps.metrics.jobsFilteredOut.inc();
    // Once per job: a non-matching job is listed on every poll until someone else runs it.
    if (this.#filteredLogged.size > 10_000) this.#filteredLogged.clear();
    if (this.#filteredLogged.has(job.id)) return;
    this.#filteredLogged.add(job.id);
    this.#deps.logger.info({ jobUuid: job.id, reason }, "skipping job: agent query rules do not match this stack's tags");
  }
}
