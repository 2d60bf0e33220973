// Jobs, queues and the job state machine. Pure (no HTTP); time comes from the
// injected clock, and reservation expiry is applied lazily whenever the store is
// read, so a test that advances a ManualClock sees expired jobs on its next call.
import { randomUUID } from "node:crypto";
import type { Clock } from "./clock.ts";
import { agentQueryRules, buildJobEnv, stepCommand } from "./job-env.ts";
import type { BuildSpec, JobState, StandinJob, StandinQueue, StepSpec } from "./types.ts";
import { TERMINAL_STATES } from "./types.ts";

/** Queue keys that mean "the cluster's default queue" (code says `_default`, docs `__default__`). */
export const DEFAULT_QUEUE_ALIASES = ["_default", "__default__"];

export interface JobStoreOptions {
  clock: Clock;
  defaultQueueKey: string;
  organization: { slug: string; uuid: string };
  clusterId: string;
}

export interface Page {
  jobs: StandinJob[];
  hasNextPage: boolean;
  endCursor: string | null;
}

export class JobStore {
  readonly #opts: JobStoreOptions;
  readonly #jobs = new Map<string, StandinJob>();
  readonly #queues = new Map<string, StandinQueue>();
  readonly #buildNumbers = new Map<string, number>();
  readonly #pipelineUuids = new Map<string, string>();
  #seq = 0;

  constructor(opts: JobStoreOptions) {
    this.#opts = opts;
    this.ensureQueue(opts.defaultQueueKey);
  }

  resolveQueueKey(key: string): string {
    return DEFAULT_QUEUE_ALIASES.includes(key) ? this.#opts.defaultQueueKey : key;
  }

  queue(key: string): StandinQueue | undefined {
    return this.#queues.get(this.resolveQueueKey(key));
  }

  ensureQueue(key: string): StandinQueue {
    const resolved = this.resolveQueueKey(key);
    let queue = this.#queues.get(resolved);
    if (!queue) {
      queue = { key: resolved, id: randomUUID(), paused: false };
      this.#queues.set(resolved, queue);
    }
    return queue;
  }

  setPaused(key: string, paused: boolean): void {
    this.ensureQueue(key).paused = paused;
  }

  /** Creates one build holding one job per step; returns the job UUIDs in step order. */
  enqueueBuild(steps: StepSpec[], buildSpec: BuildSpec = {}): string[] {
    const now = this.#opts.clock.now();
    const pipeline = buildSpec.pipeline ?? "standin-pipeline";
    const number = (this.#buildNumbers.get(pipeline) ?? 0) + 1;
    this.#buildNumbers.set(pipeline, number);
    let pipelineUuid = this.#pipelineUuids.get(pipeline);
    if (!pipelineUuid) {
      pipelineUuid = randomUUID();
      this.#pipelineUuids.set(pipeline, pipelineUuid);
    }
    const build = {
      uuid: randomUUID(),
      number,
      pipeline,
      pipelineUuid,
      branch: buildSpec.branch ?? "main",
      commit: buildSpec.commit ?? "HEAD",
      message: buildSpec.message ?? "Stand-in build",
      repo: buildSpec.repo ?? "https://github.com/buildkite/agent-stack-k8s.git",
      tag: buildSpec.tag ?? "",
      env: buildSpec.env ?? {},
    };
    return steps.map((step) => {
      const id = randomUUID();
      const stepId = randomUUID();
      const rules = agentQueryRules(step.agents);
      const queueRule = rules.find((rule) => rule.startsWith("queue="));
      const queue = this.ensureQueue(queueRule ? queueRule.slice("queue=".length) : this.#opts.defaultQueueKey);
      const env = buildJobEnv({
        jobId: id, stepId, step, build, organization: this.#opts.organization,
        clusterId: this.#opts.clusterId, agentQueryRules: rules,
      });
      const job: StandinJob = {
        id, state: "scheduled", queueKey: queue.key, priority: step.priority ?? 0,
        agentQueryRules: rules, command: stepCommand(step), env, label: env.BUILDKITE_LABEL ?? "",
        createdAt: now, scheduledAt: now, seq: ++this.#seq,
        pipeline: { slug: pipeline, uuid: pipelineUuid },
        build: { uuid: build.uuid, number, branch: build.branch },
        step: { key: step.key ?? null, uuid: stepId },
        reservation: null, finish: null, finishedAt: null, agentRun: null, finishAttempts: [], notifications: [],
        history: [{ state: "scheduled", at: now, reason: "enqueued" }],
      };
      this.#jobs.set(id, job);
      return id;
    });
  }

  /** The live record (callers inside the stand-in only); expiries applied first. */
  get(id: string): StandinJob | undefined {
    this.sweepExpired();
    return this.#jobs.get(id);
  }

  all(): StandinJob[] {
    this.sweepExpired();
    return [...this.#jobs.values()];
  }

  /** Scheduled jobs of a queue, oldest `scheduled_at` first, after `cursor`. */
  listScheduled(queueKey: string, cursor: string | null, limit: number): Page {
    const key = this.resolveQueueKey(queueKey);
    const after = cursor === null ? null : decodeCursor(cursor);
    const ordered = this.all()
      .filter((job) => job.state === "scheduled" && job.queueKey === key)
      .sort(compareSchedule)
      .filter((job) => after === null || compareSchedule(job, after) > 0);
    const jobs = ordered.slice(0, limit);
    const last = jobs.at(-1);
    return { jobs, hasNextPage: ordered.length > jobs.length, endCursor: last ? encodeCursor(last) : null };
  }

  /** Reserves scheduled jobs; re-reserving one's own unexpired reservation extends it. */
  reserve(stackKey: string, ids: string[], expirySeconds: number): { reserved: string[]; notReserved: string[] } {
    this.sweepExpired();
    const now = this.#opts.clock.now();
    const reserved: string[] = [];
    const notReserved: string[] = [];
    for (const id of ids) {
      const job = this.#jobs.get(id);
      const ownReservation = job?.state === "reserved" && job.reservation?.stackKey === stackKey;
      if (!job || (job.state !== "scheduled" && !ownReservation)) {
        notReserved.push(id);
        continue;
      }
      job.reservation = { stackKey, expiresAt: now + expirySeconds * 1000 };
      if (job.state === "scheduled") this.#setState(job, "reserved", `reserved by ${stackKey}`, now);
      reserved.push(id);
    }
    return { reserved, notReserved };
  }

  /** Returns expired reservations to `scheduled`, at the moment they expired. */
  sweepExpired(): void {
    const now = this.#opts.clock.now();
    for (const job of this.#jobs.values()) {
      if (job.state === "reserved" && job.reservation && job.reservation.expiresAt <= now) {
        const at = job.reservation.expiresAt;
        job.reservation = null;
        this.#setState(job, "scheduled", "reservation expired", at);
      }
    }
  }

  /** Moves a job, checking the move is one Buildkite makes; throws on a bad move (a test bug). */
  transition(id: string, to: JobState, allowedFrom: readonly JobState[], reason: string): StandinJob {
    const job = this.get(id);
    if (!job) throw new Error(`no such job ${id}`);
    if (!allowedFrom.includes(job.state)) {
      throw new Error(`job ${id} cannot go ${job.state} → ${to} (${reason}); allowed from ${allowedFrom.join(", ")}`);
    }
    if (to !== "reserved") job.reservation = null;
    this.#setState(job, to, reason, this.#opts.clock.now());
    return job;
  }

  /** Any state, no checks: for tests that need an unusual one (e.g. `timing_out`). */
  forceState(id: string, to: JobState): void {
    const job = this.get(id);
    if (!job) throw new Error(`no such job ${id}`);
    if (to !== "reserved") job.reservation = null;
    this.#setState(job, to, "forced by test", this.#opts.clock.now());
  }

  #setState(job: StandinJob, to: JobState, reason: string, at: number): void {
    job.state = to;
    job.history.push({ state: to, at, reason });
    if (TERMINAL_STATES.includes(to) && job.finishedAt === null) job.finishedAt = at;
  }
}

function compareSchedule(a: { scheduledAt: number; seq: number }, b: { scheduledAt: number; seq: number }): number {
  return a.scheduledAt - b.scheduledAt || a.seq - b.seq;
}

// Cursors are opaque base64 strings, as on Buildkite.
function encodeCursor(job: StandinJob): string {
  return Buffer.from(JSON.stringify([job.scheduledAt, job.seq])).toString("base64");
}

export class InvalidCursorError extends Error {}

function decodeCursor(cursor: string): { scheduledAt: number; seq: number } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && value.every((n) => Number.isInteger(n))) {
      return { scheduledAt: value[0] as number, seq: value[1] as number };
    }
  } catch {
    // fall through
  }
  throw new InvalidCursorError(`invalid cursor ${JSON.stringify(cursor)}`);
}
