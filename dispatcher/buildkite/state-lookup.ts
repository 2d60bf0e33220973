// Buildkite job states, asked for in batches: lookups made within a few milliseconds of each
// other share one get-states call (≤1000 UUIDs; the endpoint allows 20 calls a second).
import type { Logger } from "pino";
import type { JobState, StacksClient } from "../api/index.ts";

export const MAX_UUIDS_PER_CALL = 1000;

/** States in which an agent owns the job (it will report the outcome itself). */
export const AGENT_OWNED_STATES: ReadonlySet<string> = new Set(["assigned", "accepted", "running", "canceling", "timing_out"]);
/** States in which no agent has the job yet: the dispatcher is responsible for it. */
export const WAITING_STATES: ReadonlySet<string> = new Set(["scheduled", "reserved"]);
export const CANCELLED_STATES: ReadonlySet<string> = new Set(["canceled", "canceling"]);

export interface StateLookupDeps {
  client: Pick<StacksClient, "getJobStates">;
  stackKey: string;
  logger: Logger;
  /** How long to collect lookups before asking; default 20 ms. */
  windowMs?: number;
}

interface Waiter {
  uuid: string;
  resolve(state: JobState | undefined): void;
  reject(err: unknown): void;
}

export class StateLookup {
  readonly #deps: StateLookupDeps;
  #waiting: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Jobs this dispatcher finished itself (a watcher's failure report), until their Job is gone. */
  readonly #finishedByUs = new Set<string>();

  constructor(deps: StateLookupDeps) {
    this.#deps = deps;
  }

  /** The job's state; undefined when Buildkite does not know the UUID. Rejects if Buildkite cannot be asked. */
  state(uuid: string): Promise<JobState | undefined> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ uuid, resolve, reject });
      if (this.#timer === undefined) this.#timer = setTimeout(() => void this.#flush(), this.#deps.windowMs ?? 20);
    });
  }

  /**
   * A job we finished on Buildkite ourselves: its Kubernetes Job stays until its TTL (so its failed
   * pod, logs and events can be read), instead of being deleted as a job that ended elsewhere.
   */
  noteFinishedByUs(uuid: string): void {
    this.#finishedByUs.add(uuid);
  }

  finishedByUs(uuid: string): boolean {
    return this.#finishedByUs.has(uuid);
  }

  forgetFinishedByUs(uuid: string): void {
    this.#finishedByUs.delete(uuid);
  }

  /** States of many jobs at once (chunked); UUIDs Buildkite does not know are missing. */
  async states(uuids: readonly string[], signal?: AbortSignal): Promise<Map<string, JobState>> {
    const out = new Map<string, JobState>();
    for (let i = 0; i < uuids.length; i += MAX_UUIDS_PER_CALL) {
      const chunk = uuids.slice(i, i + MAX_UUIDS_PER_CALL);
      const res = await this.#deps.client.getJobStates(this.#deps.stackKey, chunk, signal ? { signal } : undefined);
      for (const [uuid, state] of Object.entries(res.body.states ?? {})) out.set(uuid, state);
    }
    return out;
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    const waiting = this.#waiting;
    this.#waiting = [];
    const uuids = [...new Set(waiting.map((w) => w.uuid))];
    try {
      const states = await this.states(uuids);
      for (const w of waiting) w.resolve(states.get(w.uuid));
    } catch (err) {
      this.#deps.logger.warn({ err, count: uuids.length }, "could not read Buildkite job states");
      for (const w of waiting) w.reject(err);
    }
  }
}
