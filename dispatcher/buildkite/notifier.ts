// Stack notifications ("Kubernetes Job created, waiting for agent"), batched: queued texts are
// sent every 100 ms in requests of at most 1000. Best effort by design (as upstream): a lost
// progress note costs nothing, so there is no retry; failures are logged and counted.
import type { Logger } from "pino";
import type { StacksClient } from "../api/index.ts";

export const FLUSH_INTERVAL_MS = 100;
export const MAX_PER_REQUEST = 1000;
/** A cap so that a long Buildkite outage cannot grow the queue without bound. */
const MAX_QUEUED = 100_000;

export interface NotifierDeps {
  client: Pick<StacksClient, "createNotifications">;
  stackKey: string;
  logger: Logger;
  onSent?(count: number, failed: number): void;
}

export class Notifier {
  readonly #deps: NotifierDeps;
  #queue: { job_uuid: string; detail: string; timestamp: string }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(deps: NotifierDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.flush(), FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  notify(jobUuid: string, detail: string): void {
    if (this.#queue.length >= MAX_QUEUED) return;
    this.#queue.push({ job_uuid: jobUuid, detail, timestamp: new Date().toISOString() });
  }

  /** Sends what is queued now; concurrent calls are serialised. */
  flush(): Promise<void> {
    this.#inFlight = this.#inFlight.then(() => this.#sendQueued());
    return this.#inFlight;
  }

  /** Stops the timer and sends what is left, within `timeoutMs`. */
  async stop(timeoutMs: number): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  async #sendQueued(): Promise<void> {
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    const chunks: (typeof batch)[] = [];
    for (let i = 0; i < batch.length; i += MAX_PER_REQUEST) chunks.push(batch.slice(i, i + MAX_PER_REQUEST));
    await Promise.all(chunks.map(async (chunk) => {
      try {
        const res = await this.#deps.client.createNotifications(this.#deps.stackKey, chunk);
        const failed = res.body.errors?.reduce((n, e) => n + e.indexes.length, 0) ?? 0;
        if (failed > 0) this.#deps.logger.debug({ errors: res.body.errors }, "some stack notifications were refused");
        this.#deps.onSent?.(chunk.length - failed, failed);
      } catch (err) {
        this.#deps.logger.warn({ err, count: chunk.length }, "stack notifications not sent");
        this.#deps.onSent?.(0, chunk.length);
      }
    }));
  }
}
