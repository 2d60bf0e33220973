// A token bucket for our Kubernetes requests (k8s-client-rate-limiter-qps/-burst, as client-go
// has): bursts up to `burst`, then `qps` per second. Waiters are served in arrival order.
import { setTimeout as sleep } from "node:timers/promises";

export class TokenBucket {
  readonly #qps: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;
  #tail: Promise<void> = Promise.resolve();

  constructor(qps: number, burst: number, now: () => number = () => performance.now()) {
    this.#qps = qps;
    this.#burst = Math.max(1, burst);
    this.#now = now;
    this.#tokens = this.#burst;
    this.#updatedAt = now();
  }

  /** Resolves when the caller may send one request. */
  take(): Promise<void> {
    const turn = this.#tail.then(() => this.#takeOne());
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #takeOne(): Promise<void> {
    for (;;) {
      const now = this.#now();
      this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#qps);
      this.#updatedAt = now;
      if (this.#tokens >= 1) {
        this.#tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.#tokens) / this.#qps) * 1000));
    }
  }
}
