// Errors the stacks client throws, once its retries are used up (or skipped for a
// permanent answer). Callers branch on `permanent`: the controller exits on a
// permanent error from polling and keeps going on anything else.

/** Names of the client's methods, carried on errors and logs. */
export type StacksEndpoint =
  | "getTokenIdentity" | "registerStack" | "deregisterStack" | "listScheduledJobs"
  | "batchReserveJobs" | "getJob" | "getJobStates" | "finishJob" | "createNotifications";

/** The server answered with a non-2xx status. */
export class StacksApiError extends Error {
  readonly endpoint: StacksEndpoint;
  readonly status: number;
  /** `message` from the `{"message": …}` body, or the raw body when it was not JSON. */
  readonly apiMessage: string;
  readonly body: unknown;
  /** `Retry-After` of the final answer, in ms (0 if none). */
  readonly retryAfterMs: number;
  readonly attempts: number;

  constructor(init: { endpoint: StacksEndpoint; status: number; apiMessage: string; body: unknown; retryAfterMs: number; attempts: number }) {
    super(`${init.endpoint}: HTTP ${init.status}: ${init.apiMessage}`);
    this.name = "StacksApiError";
    this.endpoint = init.endpoint;
    this.status = init.status;
    this.apiMessage = init.apiMessage;
    this.body = init.body;
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts;
  }

  /** 4xx other than 429: retrying the same request cannot succeed. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 429;
  }
}

/** No usable answer: timeout, refused or dropped connection, unreadable body. */
export class StacksTransportError extends Error {
  readonly endpoint: StacksEndpoint;
  /** e.g. ETIMEDOUT, ECONNRESET, ECONNREFUSED, ERR_ABORTED (caller's signal), ERR_BODY_PARSE_FAILURE. */
  readonly code: string;
  readonly attempts: number;

  constructor(init: { endpoint: StacksEndpoint; code: string; message: string; attempts: number; cause?: unknown }) {
    super(`${init.endpoint}: ${init.code}: ${init.message}`, { cause: init.cause });
    this.name = "StacksTransportError";
    this.endpoint = init.endpoint;
    this.code = init.code;
    this.attempts = init.attempts;
  }

  get permanent(): boolean {
    return false;
  }
}

/** True for a 4xx answer other than 429 (as upstream's `IsPermanentError`). */
export function isPermanentError(err: unknown): boolean {
  return err instanceof StacksApiError && err.permanent;
}

/** True for a 429 or 5xx answer, or a transport failure other than the caller aborting. */
export function isRetryableError(err: unknown): boolean {
  if (err instanceof StacksTransportError) return err.code !== "ERR_ABORTED";
  return err instanceof StacksApiError && !err.permanent;
}
