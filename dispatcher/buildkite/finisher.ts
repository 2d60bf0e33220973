// Finishing Buildkite jobs that cannot run (`exit_status: -1` plus the reason). A finish is never
// dropped: the client retries 5xx/429/network with backoff and Retry-After; if that is used up
// the finish is retried here, with growing delays, until Buildkite answers. A 4xx is final:
// 422 means the job already ended (finished by an earlier attempt whose answer was lost, or
// cancelled), which is the outcome we wanted.
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { isPermanentError, StacksApiError } from "../api/index.ts";
import type { StacksClient } from "../api/index.ts";

export type FinishOutcome = "finished" | "already-ended" | "refused" | "stopped";

export interface FinisherDeps {
  client: Pick<StacksClient, "finishJob">;
  stackKey: string;
  logger: Logger;
  /** Delay before re-trying a finish whose client-level retries were used up (attempt is 1-based). */
  retryDelayMs?(attempt: number): number;
  onOutcome?(outcome: FinishOutcome, reason: string): void;
}

export class Finisher {
  readonly #deps: FinisherDeps;
  readonly #pending = new Map<string, Promise<FinishOutcome>>();
  #stopped = new AbortController();

  constructor(deps: FinisherDeps) {
    this.#deps = deps;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  isFinishing(uuid: string): boolean {
    return this.#pending.has(uuid);
  }

  /** `reason` is a short token for logs and metrics; `detail` is what Buildkite shows. */
  finish(uuid: string, detail: string, reason: string): Promise<FinishOutcome> {
    const existing = this.#pending.get(uuid);
    if (existing) return existing;
    const run = this.#run(uuid, detail, reason).finally(() => this.#pending.delete(uuid));
    this.#pending.set(uuid, run);
    return run;
  }

  stop(): void {
    this.#stopped.abort();
  }

  async #run(uuid: string, detail: string, reason: string): Promise<FinishOutcome> {
    const log = this.#deps.logger.child({ jobUuid: uuid, reason });
    for (let attempt = 1; ; attempt++) {
      if (this.#stopped.signal.aborted) return this.#done("stopped", reason);
      try {
        await this.#deps.client.finishJob(this.#deps.stackKey, uuid, { exit_status: -1, detail }, { signal: this.#stopped.signal });
        log.info({ detail: detail.split("\n")[0] }, "finished Buildkite job");
        return this.#done("finished", reason);
      } catch (err) {
        if (this.#stopped.signal.aborted) return this.#done("stopped", reason);
        if (err instanceof StacksApiError && err.status === 422) {
          log.info({ apiMessage: err.apiMessage }, "Buildkite job had already ended; nothing to finish");
          return this.#done("already-ended", reason);
        }
        if (isPermanentError(err)) {
          log.error({ err }, "Buildkite refused to finish the job");
          return this.#done("refused", reason);
        }
        const delay = this.#deps.retryDelayMs?.(attempt) ?? Math.min(1000 * 2 ** (attempt - 1), 60_000);
        log.warn({ err, attempt, delayMs: delay }, "could not finish Buildkite job yet; will retry");
        await sleep(delay, undefined, { signal: this.#stopped.signal }).catch(() => undefined);
      }
    }
  }

  #done(outcome: FinishOutcome, reason: string): FinishOutcome {
    this.#deps.onOutcome?.(outcome, reason);
    return outcome;
  }
}
