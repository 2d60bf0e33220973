// When and how long the stacks client retries. Retryable: 429, any 5xx, and
// transport failures (timeouts, resets, refused connections). Everything else is
// final. A `Retry-After` (seconds or an HTTP-date) replaces the computed backoff for
// the next attempt; errors report it in whole seconds, as the Go client reads it.
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

/**
 * `Retry-After` as the wait before the next attempt, in ms: whole seconds, or an HTTP-date
 * (one already past is 0); undefined when absent or neither (RFC 9110 says to ignore it).
 */
export function retryAfterWaitMs(header: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // A number that is not whole seconds ("1.5", "-1", "") is neither form.
  if (!Number.isNaN(Number(value))) return undefined;
  // The asctime form has no zone and means UTC.
  const date = /^\w{3} \w{3} [\d ]\d \d{2}:\d{2}:\d{2} \d{4}$/.test(value) ? `${value} GMT` : value;
  const wait = Date.parse(date) - now;
  return Number.isNaN(wait) ? undefined : Math.max(0, wait);
}

/** What an attempt that did not succeed left behind. */
export interface FailedAttempt {
  /** 1-based. */
  attempt: number;
  maxAttempts: number;
  /** The answer's status, if there was one (a failure while reading a body has one too). */
  status: number | undefined;
  /** The transport failure's code; undefined for a complete non-2xx answer. */
  code: string | undefined;
  /** From the answer's Retry-After (retryAfterWaitMs). */
  retryAfterMs: number | undefined;
}

/** Longest delay a Node timer can wait; a longer one ends retrying rather than firing at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** Delay before the next attempt, or 0 to give up with this failure. */
export function nextAttemptDelayMs(failed: FailedAttempt, policy: RetryPolicy, random: () => number): number {
  if (failed.attempt >= failed.maxAttempts) return 0;
  const retryable = (failed.code !== undefined && RETRYABLE_ERROR_CODES.includes(failed.code))
    || (failed.status !== undefined && RETRYABLE_STATUS_CODES.includes(failed.status));
  if (!retryable) return 0;
  if (failed.status !== undefined && failed.retryAfterMs !== undefined && failed.retryAfterMs > policy.maxRetryAfterMs) return 0;
  // 413 with a retryable transport code: retrying the same body cannot fit.
  if (failed.status === 413 && failed.retryAfterMs === undefined) return 0;
  const delay = retryDelayMs(failed.attempt, failed.status === undefined ? undefined : failed.retryAfterMs, policy, random);
  return delay <= MAX_TIMER_MS ? delay : 0;
}
