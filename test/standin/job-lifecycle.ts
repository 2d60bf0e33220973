// The moves a job makes outside the stacks API (an agent acquiring, running and
// finishing it; a user cancelling it), plus the stack's own `finish`. Kept apart
// from the store so the allowed moves read as one table.
import type { JobStore } from "./job-store.ts";
import type { JobState, StandinJob } from "./types.ts";
import { TERMINAL_STATES } from "./types.ts";

/** States in which an agent owns the job (the controller's "agent active" set). */
export const AGENT_OWNED: readonly JobState[] = ["assigned", "accepted", "running", "canceling", "timing_out"];
const NOT_YET_ON_AGENT: readonly JobState[] = [
  "pending", "waiting", "blocked", "unblocked", "limiting", "limited", "scheduled", "reserved",
];

/** Maximum finish `detail`, in UTF-8 bytes (docs: "max 4KB"). */
export const MAX_FINISH_DETAIL_BYTES = 4096;

export class FinishRejected extends Error {}

export class JobLifecycle {
  readonly #store: JobStore;
  readonly #now: () => number;

  constructor(store: JobStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** An agent started with `--acquire-job` took the job. */
  acquire(id: string): StandinJob {
    return this.#store.transition(id, "assigned", ["scheduled", "reserved"], "agent acquired");
  }

  accept(id: string): StandinJob {
    return this.#store.transition(id, "accepted", ["assigned"], "agent accepted");
  }

  start(id: string): StandinJob {
    return this.#store.transition(id, "running", ["assigned", "accepted"], "agent started");
  }

  /** The agent reported an exit status. A job being cancelled ends as `canceled`. */
  complete(id: string, exitStatus = 0): StandinJob {
    const job = this.#store.get(id);
    const attempt = { by: "agent" as const, at: this.#now(), accepted: true, exitStatus: String(exitStatus), refusal: null };
    if (job?.state === "canceling") {
      const canceled = this.#store.transition(id, "canceled", ["canceling"], "agent stopped after cancel");
      canceled.finishAttempts.push(attempt);
      return canceled;
    }
    const done = this.#store.transition(id, "finished", ["assigned", "accepted", "running"], `agent exited ${exitStatus}`);
    done.finish = { by: "agent", exitStatus, detail: null, at: this.#now() };
    done.finishAttempts.push(attempt);
    return done;
  }

  /** A user cancelled the job: it waits in `canceling` while an agent owns it. */
  cancel(id: string): StandinJob {
    const job = this.#store.get(id);
    if (job && ["assigned", "accepted", "running", "timing_out"].includes(job.state)) {
      return this.#store.transition(id, "canceling", AGENT_OWNED, "cancelled by user");
    }
    return this.#store.transition(id, "canceled", NOT_YET_ON_AGENT, "cancelled by user");
  }

  /** The agent finished cancelling. */
  markCanceled(id: string): StandinJob {
    return this.#store.transition(id, "canceled", ["canceling"], "agent confirmed cancel");
  }

  /**
   * POST .../jobs/:uuid/finish. At most once per job, and only while the job has not
   * ended (which states real Buildkite accepts is not documented; see README).
   */
  finishByStack(id: string, exitStatus: number, detail: string): StandinJob {
    const job = this.#store.get(id);
    if (!job) throw new Error(`no such job ${id}`);
    const refuse = (refusal: string): never => {
      job.finishAttempts.push({ by: "stack", at: this.#now(), accepted: false, exitStatus, refusal });
      throw new FinishRejected(refusal);
    };
    if (job.finish?.by === "stack") refuse("Job has already been finished by a stack");
    if (TERMINAL_STATES.includes(job.state) || job.state === "canceling") {
      refuse(`Job can't be finished because it is ${job.state}`);
    }
    const done = this.#store.transition(id, "finished", [job.state], `finished by stack (exit ${exitStatus})`);
    done.finish = { by: "stack", exitStatus, detail, at: this.#now() };
    done.finishAttempts.push({ by: "stack", at: this.#now(), accepted: true, exitStatus, refusal: null });
    return done;
  }
}
