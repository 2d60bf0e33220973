// Time source for job timing (scheduled_at, reservation expiry, notification rules).
// Tests inject a ManualClock so that expiries happen when the test says, not when
// the wall clock gets there. Latency and rate limits use real time: the client
// under test measures those in real time.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  #nowMs: number;

  constructor(startMs: number = Date.parse("2026-01-01T00:00:00Z")) {
    this.#nowMs = startMs;
  }

  now(): number {
    return this.#nowMs;
  }

  advance(ms: number): void {
    if (ms < 0) throw new Error("ManualClock cannot go backwards");
    this.#nowMs += ms;
  }

  set(ms: number): void {
    this.#nowMs = ms;
  }
}
