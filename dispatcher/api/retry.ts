// When and how long the stacks client retries. Retryable: 429, any 5xx, and
// transport failures (timeouts, resets, refused connections). Everything else is
// final. A `Retry-After` (whole seconds, as the Go client reads it) replaces the
// computed backoff for the next attempt.
import type { StacksEndpoint } from "./errors.ts";

export interface RetryPolicy {
  /** Backoff before the 2nd attempt; doubles for each later one. */
  baseDelayMs: number;
  /** Cap on the computed backoff (not on Retry-After). */
  maxDelayMs: number;
  /** Random extra in [0, jitterMs) on the computed backoff, so pollers spread out. */
  jitterMs: number;
  /** Longest Retry-After honoured; a longer one ends retrying with that answer. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  baseDelayMs: 1000,
  maxDelayMs: 10_000,
  jitterMs: 500,
  maxRetryAfterMs: 60_000,
};

/**
 * Attempts per call (1 = no retry). As upstream: calls whose caller loop is
 * already the retry (polling, reserving per poll, best-effort notifications,
 * deregister within the shutdown budget) make one attempt; the rest make five.
 * Upstream retries GetJob in its scheduler rather than the client; here the
 * client does it.
 */
export const DEFAULT_MAX_ATTEMPTS: Record<StacksEndpoint, number> = {
  getTokenIdentity: 5,
  registerStack: 5,
  deregisterStack: 1,
  listScheduledJobs: 1,
  batchReserveJobs: 1,
  getJob: 5,
  getJobStates: 5,
  finishJob: 5,
  createNotifications: 1,
};

export const RETRYABLE_STATUS_CODES: number[] = [429, ...Array.from({ length: 100 }, (_, i) => 500 + i)];

export const RETRYABLE_ERROR_CODES: string[] = [
  "ETIMEDOUT", "ECONNRESET", "ECONNREFUSED", "EPIPE", "ENOTFOUND", "ENETUNREACH", "EAI_AGAIN", "EHOSTUNREACH", "ECONNABORTED",
];

/** Delay before attempt `attempt + 1`, where `attempt` (1-based) just failed. */
export function retryDelayMs(attempt: number, retryAfterMs: number | undefined, policy: RetryPolicy, random: () => number): number {
  if (retryAfterMs !== undefined) return Math.max(1, retryAfterMs);
  const backoff = Math.min(policy.baseDelayMs * 2 ** (attempt - 1), policy.maxDelayMs);
  return Math.max(1, Math.round(backoff + random() * policy.jitterMs));
}

/** `Retry-After` in ms; 0 when absent or not a whole number of seconds. */
export function parseRetryAfterMs(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d+$/.test(value.trim())) return 0;
  return Number(value.trim()) * 1000;
}
