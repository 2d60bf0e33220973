// `concurrency` workers taking the highest-priority queued job, one at a time each.
import { PriorityQueue } from "./priority-queue.ts";
import type { Prioritised } from "./priority-queue.ts";

export class WorkerPool<T extends Prioritised> {
  readonly queue = new PriorityQueue<T>();
  readonly #concurrency: number;
  readonly #handle: (item: T, signal: AbortSignal) => Promise<void>;
  readonly #onError: (err: unknown, item: T) => void;
  readonly #abort = new AbortController();
  #wake: (() => void) | undefined;
  #wakeUp: Promise<void> = Promise.resolve();
  #workers: Promise<void>[] = [];
  #busy = 0;
  #roomWaiters: (() => void)[] = [];

  constructor(opts: { concurrency: number; handle(item: T, signal: AbortSignal): Promise<void>; onError(err: unknown, item: T): void }) {
    this.#concurrency = Math.max(1, opts.concurrency);
    this.#handle = opts.handle;
    this.#onError = opts.onError;
    this.#resetWake();
  }

  get busy(): number {
    return this.#busy;
  }

  start(): void {
    if (this.#workers.length > 0) return;
    for (let i = 0; i < this.#concurrency; i++) this.#workers.push(this.#work());
  }

  push(item: T): boolean {
    const added = this.queue.push(item);
    if (added) this.#signal();
    return added;
  }

  remove(id: string): T | undefined {
    return this.queue.remove(id);
  }

  /** Resolves once fewer than `limit` items are queued (or `signal` aborts): back-pressure for producers. */
  async waitForRoom(limit: number, signal: AbortSignal): Promise<void> {
    if (this.queue.size < limit || signal.aborted) return;
    let wake: () => void = () => undefined;
    const onAbort = () => wake();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (this.queue.size >= limit && !signal.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          this.#roomWaiters.push(resolve);
        });
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Aborts running handlers (they see the signal) and waits for the workers to return. */
  async stop(): Promise<void> {
    this.#abort.abort();
    this.#signal();
    for (const waiter of this.#roomWaiters.splice(0)) waiter();
    await Promise.all(this.#workers);
  }

  #resetWake(): void {
    this.#wakeUp = new Promise<void>((resolve) => (this.#wake = resolve));
  }

  #signal(): void {
    const wake = this.#wake;
    this.#resetWake();
    wake?.();
  }

  async #work(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const item = this.queue.pop();
      if (item === undefined) {
        await this.#wakeUp;
        continue;
      }
      for (const waiter of this.#roomWaiters.splice(0)) waiter();
      this.#busy++;
      try {
        await this.#handle(item, signal);
      } catch (err) {
        this.#onError(err, item);
      } finally {
        this.#busy--;
      }
    }
  }
}
