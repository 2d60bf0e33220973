// Set while the cluster queue is paused (enable-queue-pause): nothing new is reserved and queued
// jobs wait before their Job is created.
export class PauseGate {
  #paused = false;
  #resume: (() => void) | undefined;
  #resumed: Promise<void> = Promise.resolve();

  get paused(): boolean {
    return this.#paused;
  }

  set(paused: boolean): void {
    if (paused === this.#paused) return;
    this.#paused = paused;
    if (paused) this.#resumed = new Promise<void>((resolve) => (this.#resume = resolve));
    else this.#resume?.();
  }

  /** Resolves at once when not paused; otherwise when resumed or aborted. */
  wait(signal: AbortSignal): Promise<void> {
    if (!this.#paused) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener("abort", done);
        resolve();
      };
      signal.addEventListener("abort", done, { once: true });
      void this.#resumed.then(done);
    });
  }
}
