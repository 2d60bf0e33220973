// Reports a job that can no longer run to Buildkite, at most once per job: it asks Buildkite who
// owns the job first. Still waiting for an agent (scheduled/reserved) → finish it with the
// reason, then clean up. An agent has it → at most a notification (the agent reports the
// outcome). Anything else → nothing to do.
import type { Logger } from "pino";
import type { Finisher } from "../buildkite/finisher.ts";
import type { Notifier } from "../buildkite/notifier.ts";
import { AGENT_OWNED_STATES, WAITING_STATES } from "../buildkite/state-lookup.ts";
import type { StateLookup } from "../buildkite/state-lookup.ts";

export interface FailureReport {
  reason: string;
  /** Built only if the job is finished (it may list events, which costs a request). */
  detail(): Promise<string>;
  /** Sent instead when an agent already owns the job. */
  notification?: string;
  /** Clean-up after finishing (delete the pod, expire the Job). */
  after?(): Promise<void>;
}

export interface FailureReporterDeps {
  lookup: Pick<StateLookup, "state"> & Partial<Pick<StateLookup, "noteFinishedByUs" | "forgetFinishedByUs">>;
  finisher: Pick<Finisher, "finish">;
  notifier: Pick<Notifier, "notify">;
  logger: Logger;
}

export class FailureReporter {
  readonly #deps: FailureReporterDeps;
  readonly #handled = new Set<string>();
  readonly #busy = new Set<string>();
  readonly #notified = new Set<string>();

  constructor(deps: FailureReporterDeps) {
    this.#deps = deps;
  }

  isHandled(uuid: string): boolean {
    return this.#handled.has(uuid) || this.#busy.has(uuid);
  }

  /** The job's Kubernetes Job is gone: a new one (if any) is watched afresh. */
  forget(uuid: string): void {
    this.#handled.delete(uuid);
    this.#notified.delete(uuid);
    this.#deps.lookup.forgetFinishedByUs?.(uuid);
  }

  get handledCount(): number {
    return this.#handled.size;
  }

  async report(uuid: string, report: FailureReport): Promise<void> {
    if (this.isHandled(uuid)) return;
    this.#busy.add(uuid);
    const log = this.#deps.logger.child({ jobUuid: uuid, reason: report.reason });
    try {
      const state = await this.#deps.lookup.state(uuid);
      if (state !== undefined && WAITING_STATES.has(state)) {
        const detail = await report.detail();
        this.#handled.add(uuid);
        this.#deps.lookup.noteFinishedByUs?.(uuid);
        log.warn({ state, detail: detail.split("\n")[0] }, "job cannot run; finishing it on Buildkite");
        void this.#deps.finisher.finish(uuid, detail, report.reason);
        await report.after?.().catch((err: unknown) => log.warn({ err }, "clean-up after finishing failed"));
      } else if (state !== undefined && AGENT_OWNED_STATES.has(state)) {
        if (report.notification && !this.#notified.has(uuid)) {
          this.#notified.add(uuid);
          this.#deps.notifier.notify(uuid, report.notification);
        }
      } else {
        this.#handled.add(uuid);
      }
    } catch (err) {
      log.warn({ err }, "could not check the Buildkite job's state; will check again");
    } finally {
      this.#busy.delete(uuid);
    }
  }
}
