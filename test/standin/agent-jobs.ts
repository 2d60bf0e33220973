// The moves the Agent API makes on a job, as Buildkite makes them for one agent:
// acquire (scheduled or reserved → assigned → accepted), start (→ running) and
// finish (→ finished; canceling → canceled; timing_out → timed_out). Refusals are
// errors the routes turn into 423 (not runnable yet) and 422 (cannot be acquired,
// not this agent's job, already finished). Pure: no HTTP.
import { randomBytes } from "node:crypto";
import type { RegisteredAgent } from "./agent-registry.ts";
import type { JobStore } from "./job-store.ts";
import type { JobState, StandinJob } from "./types.ts";
import { TERMINAL_STATES } from "./types.ts";

/** States of a job that exists but may not run yet (dependencies, concurrency): acquire answers 423. */
export const LOCKED_STATES: readonly JobState[] = ["pending", "waiting", "blocked", "limiting", "limited"];
const ACQUIRABLE: readonly JobState[] = ["scheduled", "reserved"];
/** While the agent holds the job, before it ends. */
const HELD: readonly JobState[] = ["assigned", "accepted", "running", "canceling", "timing_out"];

export class JobLocked extends Error {}
export class AgentMoveRefused extends Error {}

export interface AgentFinish {
  exitStatus: string;
  signal: string | null;
  signalReason: string | null;
  chunksFailedCount: number;
  reportedFinishedAt: string | null;
}

export class AgentJobs {
  readonly #store: JobStore;
  readonly #now: () => number;

  constructor(store: JobStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /**
   * Gives the job to this agent. Acquiring again a job the same agent already holds
   * (a retry whose first answer was lost) returns it unchanged, until it starts.
   */
  acquire(job: StandinJob, agent: RegisteredAgent): StandinJob {
    if (job.agentRun?.agentId === agent.id && (job.state === "assigned" || job.state === "accepted")) return job;
    if (LOCKED_STATES.includes(job.state)) throw new JobLocked(`Job is ${job.state} and cannot be run yet`);
    if (!ACQUIRABLE.includes(job.state)) {
      const holder = job.agentRun ? ` by agent ${job.agentRun.agentName}` : "";
      throw new AgentMoveRefused(`Job can't be acquired because it is ${job.state}${holder}`);
    }
    this.#store.transition(job.id, "assigned", ACQUIRABLE, `assigned to agent ${agent.name}`);
    job.agentRun = {
      agentId: agent.id, agentName: agent.name, jobToken: `bkaj_${randomBytes(20).toString("hex")}`,
      acquiredAt: this.#now(), startedAt: null, reportedStartedAt: null, reportedFinishedAt: null,
      exitStatus: null, signal: null, signalReason: null, chunksFailedCount: null,
    };
    return this.#store.transition(job.id, "accepted", ["assigned"], `accepted by agent ${agent.name}`);
  }

  /** Throws unless this agent holds the job (now or, for reads after the end, last). */
  requireHolder(job: StandinJob, agent: RegisteredAgent): void {
    if (job.agentRun?.agentId !== agent.id) throw new AgentMoveRefused("Job is not assigned to this agent");
  }

  /**
   * The agent started the job. A job cancelled between acquire and start stays
   * `canceling` (the agent then sees that and stops); a repeated start is a no-op.
   */
  start(job: StandinJob, agent: RegisteredAgent, reportedStartedAt: string | null): StandinJob {
    this.requireHolder(job, agent);
    const run = job.agentRun as NonNullable<StandinJob["agentRun"]>;
    if (job.state === "running" || job.state === "canceling" || job.state === "timing_out") return job;
    if (job.state !== "assigned" && job.state !== "accepted") throw new AgentMoveRefused(`Job can't be started because it is ${job.state}`);
    run.startedAt = this.#now();
    run.reportedStartedAt = reportedStartedAt;
    return this.#store.transition(job.id, "running", ["assigned", "accepted"], `started by agent ${agent.name}`);
  }

  /** The agent's finish: accepted at most once, and only while it holds the job. */
  finish(job: StandinJob, agent: RegisteredAgent, input: AgentFinish): StandinJob {
    const attempt = { by: "agent" as const, at: this.#now(), exitStatus: input.exitStatus };
    const refuse = (refusal: string): never => {
      job.finishAttempts.push({ ...attempt, accepted: false, refusal });
      throw new AgentMoveRefused(refusal);
    };
    if (job.agentRun?.agentId !== agent.id) refuse("Job is not assigned to this agent");
    if (job.agentRun?.exitStatus !== null) refuse("Job has already been finished");
    if (!HELD.includes(job.state)) refuse(`Job can't be finished because it is ${job.state}`);
    const run = job.agentRun as NonNullable<StandinJob["agentRun"]>;
    Object.assign(run, {
      exitStatus: input.exitStatus, signal: input.signal, signalReason: input.signalReason,
      chunksFailedCount: input.chunksFailedCount, reportedFinishedAt: input.reportedFinishedAt,
    });
    const to: JobState = job.state === "canceling" ? "canceled" : job.state === "timing_out" ? "timed_out" : "finished";
    const done = this.#store.transition(job.id, to, [job.state], `finished by agent ${agent.name} (exit ${input.exitStatus})`);
    done.finish = { by: "agent", exitStatus: Number(input.exitStatus), detail: null, at: this.#now() };
    done.finishAttempts.push({ ...attempt, accepted: true, refusal: null });
    return done;
  }

  /** Whether the job has ended (for flagging late log chunks). */
  ended(job: StandinJob): boolean {
    return TERMINAL_STATES.includes(job.state);
  }
}
