// Per-client (stack or agent), per-scope limits over a one-second sliding window, with
// the documented default limits and response headers. Runs on real (monotonic) time
// because the client under test waits Retry-After in real time.
import { performance } from "node:perf_hooks";

export type StacksRateLimitScope =
  | "list-scheduled-jobs" | "batch-reserve" | "show-job" | "batch-load-job-states"
  | "finish-job" | "stack-notification" | "default";

/**
 * Agent API scopes (our names: Buildkite documents no per-endpoint limits for the agent's
 * own calls). Unlimited unless a test sets a limit for them.
 */
export type AgentRateLimitScope =
  | "agent-register" | "agent-session" | "agent-acquire" | "agent-job" | "agent-chunks"
  | "agent-finish" | "agent-meta-data";

export type RateLimitScope = StacksRateLimitScope | AgentRateLimitScope;

/** Requests per second (docs, "Default rate limits per endpoint"). */
export const DEFAULT_RATE_LIMITS: Record<StacksRateLimitScope, number> = {
  "list-scheduled-jobs": 10,
  "batch-reserve": 10,
  "show-job": 1000,
  "batch-load-job-states": 20,
  "finish-job": 100,
  "stack-notification": 200,
  default: 10,
};

const WINDOW_MS = 1000;

export interface RateDecision {
  allowed: boolean;
  scope: RateLimitScope;
  limit: number;
  remaining: number;
  /** Requests in the window including this one. */
  current: number;
  /** Whole seconds until a slot frees up (at least 1 when denied). */
  resetSeconds: number;
}

export class SlidingWindowLimiter {
  #limits: Partial<Record<RateLimitScope, number>> | null;
  readonly #hits = new Map<string, number[]>();
  readonly #now: () => number;

  constructor(limits: Partial<Record<RateLimitScope, number>> | false, now: () => number = () => performance.now()) {
    this.#limits = null;
    this.#now = now;
    this.configure(limits);
  }

  /** `false` turns limiting off; a partial map overrides the defaults. */
  configure(limits: Partial<Record<RateLimitScope, number>> | false): void {
    this.#limits = limits === false ? null : { ...DEFAULT_RATE_LIMITS, ...limits };
    this.#hits.clear();
  }

  /** Counts the request if allowed. Returns null when limiting is off or the scope has no limit. */
  check(scope: RateLimitScope, stackKey: string): RateDecision | null {
    const limit = this.#limits?.[scope];
    if (limit === undefined) return null;
    const now = this.#now();
    const id = `${scope}\u0000${stackKey}`;
    // Ages, not sums: (t + WINDOW_MS) - now can round to just above a whole second, and ceil then
    // adds one (a first request's reset read 2 s for about 1 clock value in 3,000).
    const hits = (this.#hits.get(id) ?? []).filter((t) => now - t < WINDOW_MS);
    this.#hits.set(id, hits);
    const resetSeconds = (oldest: number): number => Math.max(1, Math.ceil((WINDOW_MS - (now - oldest)) / 1000));
    if (hits.length >= limit) {
      return { allowed: false, scope, limit, remaining: 0, current: hits.length + 1, resetSeconds: resetSeconds(hits[0] ?? now) };
    }
    hits.push(now);
    return { allowed: true, scope, limit, remaining: limit - hits.length, current: hits.length, resetSeconds: resetSeconds(hits[0] ?? now) };
  }
}
