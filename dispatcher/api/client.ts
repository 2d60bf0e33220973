// Typed client for Buildkite's Agent REST "stacks" API, one method per endpoint.
// One HTTP attempt is http-attempt.ts (node:http, no client library: got alone was ~22 MB of
// RSS); retry rules are in retry.ts; errors in errors.ts.
import type { Logger } from "pino";
import { cropFinishDetail, cropNotificationDetail } from "./crop.ts";
import { StacksApiError, StacksTransportError } from "./errors.ts";
import type { StacksEndpoint } from "./errors.ts";
import { abortFailure, ACCEPT_ENCODING, AttemptFailure, sendAttempt } from "./http-attempt.ts";
import type { AttemptAnswer, AttemptRequest } from "./http-attempt.ts";
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_POLICY, nextAttemptDelayMs, parseRetryAfterMs, retryAfterWaitMs } from "./retry.ts";
import type { RetryPolicy } from "./retry.ts";
import type {
  BatchReserveJobsRequest, BatchReserveJobsResponse, ClusterQueue, CreateStackNotificationsResponse, FinishJobRequest,
  GetJobResponse, GetJobStatesResponse, ListScheduledJobsQuery, ListScheduledJobsResponse, RegisterStackRequest,
  RegisterStackResponse, StackNotification, TokenIdentity,
} from "./types.ts";

export const DEFAULT_ENDPOINT = "https://agent.buildkite.com/v3";
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface StacksClientOptions {
  /** Cluster agent token (`bkct_…`), sent as `Authorization: Token <token>`. */
  token: string;
  /** API base including `/v3`; default https://agent.buildkite.com/v3. */
  endpoint?: string;
  userAgent?: string;
  /** Per-attempt timeout; default 60 s (upstream's http-timeout). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Per-endpoint attempts, overriding DEFAULT_MAX_ATTEMPTS. */
  maxAttempts?: Partial<Record<StacksEndpoint, number>>;
  logger?: Pick<Logger, "debug" | "warn">;
  /** Source of jitter; default Math.random. */
  random?: () => number;
}

/** Per-call overrides. */
export interface CallOptions {
  /** 1 = no retry. */
  maxAttempts?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ApiResponse<T> {
  body: T;
  status: number;
  /** `Retry-After` on a successful answer (the monitor waits it before the next poll); 0 if none. */
  retryAfterMs: number;
  attempts: number;
}

interface RequestSpec {
  method: "GET" | "POST" | "PUT";
  path: string;
  json?: unknown;
  searchParams?: Record<string, string>;
}

/** `true` if the queue is paused under either name the API uses for the flag. */
export function isQueuePaused(queue: ClusterQueue): boolean {
  return queue.dispatch_paused === true || queue.paused === true;
}

/** Path segment escaping as the Go client does it: Rails rejects dots in some segments. */
export function escapePathSegment(segment: string): string {
  return encodeURIComponent(segment).replaceAll(".", "%2E");
}

export class StacksClient {
  /** The endpoint with one trailing slash, to which paths are appended. */
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #policy: RetryPolicy;
  readonly #maxAttempts: Record<StacksEndpoint, number>;
  readonly #logger: Pick<Logger, "debug" | "warn"> | undefined;
  readonly #random: () => number;

  constructor(opts: StacksClientOptions) {
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
    this.#maxAttempts = { ...DEFAULT_MAX_ATTEMPTS, ...opts.maxAttempts };
    this.#logger = opts.logger;
    this.#random = opts.random ?? Math.random;
    const endpoint = opts.endpoint ?? DEFAULT_ENDPOINT;
    this.#base = endpoint.endsWith("/") ? endpoint : `${endpoint}/`;
    this.#headers = {
      authorization: `Token ${opts.token}`,
      "user-agent": opts.userAgent ?? "agentify stacks-client",
      // The Go client sends both on every request, GET included.
      accept: "application/json",
      "content-type": "application/json",
      "accept-encoding": ACCEPT_ENCODING,
    };
  }

  getTokenIdentity(call?: CallOptions): Promise<ApiResponse<TokenIdentity>> {
    return this.#request("getTokenIdentity", { method: "GET", path: "token" }, call);
  }

  /** Idempotent: 201 for a new stack, 200 for an existing one. */
  registerStack(req: RegisterStackRequest, call?: CallOptions): Promise<ApiResponse<RegisterStackResponse>> {
    return this.#request("registerStack", { method: "POST", path: "stacks/register", json: req }, call);
  }

  deregisterStack(stackKey: string, call?: CallOptions): Promise<ApiResponse<null>> {
    return this.#request("deregisterStack", { method: "POST", path: `stacks/${escapePathSegment(stackKey)}/deregister` }, call);
  }

  listScheduledJobs(stackKey: string, query: ListScheduledJobsQuery, call?: CallOptions): Promise<ApiResponse<ListScheduledJobsResponse>> {
    const searchParams: Record<string, string> = { queue_key: query.queueKey };
    if (query.limit !== undefined && query.limit > 0) searchParams.limit = String(query.limit);
    if (query.after) searchParams.after = query.after;
    const path = `stacks/${escapePathSegment(stackKey)}/scheduled-jobs`;
    return this.#request("listScheduledJobs", { method: "GET", path, searchParams }, call);
  }

  batchReserveJobs(stackKey: string, req: BatchReserveJobsRequest, call?: CallOptions): Promise<ApiResponse<BatchReserveJobsResponse>> {
    // Like the Go client's `omitzero`: 0 means "server default".
    const json: BatchReserveJobsRequest = { job_uuids: req.job_uuids };
    if (req.reservation_expiry_seconds) json.reservation_expiry_seconds = req.reservation_expiry_seconds;
    const path = `stacks/${escapePathSegment(stackKey)}/scheduled-jobs/batch-reserve`;
    return this.#request("batchReserveJobs", { method: "PUT", path, json }, call);
  }

  getJob(stackKey: string, jobUuid: string, call?: CallOptions): Promise<ApiResponse<GetJobResponse>> {
    const path = `stacks/${escapePathSegment(stackKey)}/jobs/${escapePathSegment(jobUuid)}`;
    return this.#request("getJob", { method: "GET", path }, call);
  }

  getJobStates(stackKey: string, jobUuids: string[], call?: CallOptions): Promise<ApiResponse<GetJobStatesResponse>> {
    const path = `stacks/${escapePathSegment(stackKey)}/jobs/get-states`;
    return this.#request("getJobStates", { method: "POST", path, json: { job_uuids: jobUuids } }, call);
  }

  /** At most once per job; `detail` is cropped to 4 KB. */
  finishJob(stackKey: string, jobUuid: string, req: FinishJobRequest, call?: CallOptions): Promise<ApiResponse<null>> {
    const json: FinishJobRequest = { detail: cropFinishDetail(req.detail) };
    if (req.exit_status !== undefined) json.exit_status = req.exit_status;
    const path = `stacks/${escapePathSegment(stackKey)}/jobs/${escapePathSegment(jobUuid)}/finish`;
    return this.#request("finishJob", { method: "POST", path, json }, call, false);
  }

  /** Up to 1000 per call; each `detail` is cropped to 256 characters. Partial success is normal. */
  createNotifications(stackKey: string, notifications: StackNotification[], call?: CallOptions): Promise<ApiResponse<CreateStackNotificationsResponse>> {
    const json = { notifications: notifications.map((n) => ({ ...n, detail: cropNotificationDetail(n.detail) })) };
    const path = `stacks/${escapePathSegment(stackKey)}/notifications`;
    return this.#request("createNotifications", { method: "POST", path, json }, call);
  }

  async #request<T>(endpoint: StacksEndpoint, spec: RequestSpec, call: CallOptions = {}, readBody = true): Promise<ApiResponse<T>> {
    const maxAttempts = Math.max(1, call.maxAttempts ?? this.#maxAttempts[endpoint]);
    const url = new URL(this.#base + spec.path);
    for (const [key, value] of Object.entries(spec.searchParams ?? {})) url.searchParams.set(key, value);
    const body = spec.json === undefined ? undefined : Buffer.from(JSON.stringify(spec.json), "utf8");
    const attempt: AttemptRequest = {
      url, method: spec.method, headers: this.#headers, timeoutMs: call.timeoutMs ?? this.#timeoutMs,
      ...(body === undefined ? {} : { body }), ...(call.signal === undefined ? {} : { signal: call.signal }),
    };
    for (let attempts = 1; ; attempts++) {
      const outcome = await sendAttempt(attempt).catch((err: unknown) => {
        if (err instanceof AttemptFailure) return err;
        throw err;
      });
      // 3xx counts as an answer: redirects are not followed.
      if (!(outcome instanceof AttemptFailure) && outcome.status >= 200 && outcome.status <= 399) {
        return {
          body: (readBody ? parseBody(endpoint, outcome.text, attempts) : null) as T,
          status: outcome.status,
          retryAfterMs: parseRetryAfterMs(outcome.headers["retry-after"]),
          attempts,
        };
      }
      const code = outcome instanceof AttemptFailure ? outcome.code : undefined;
      const answer = outcome instanceof AttemptFailure ? outcome.answer : outcome;
      const retryAfter = answer?.headers["retry-after"];
      const delay = nextAttemptDelayMs({
        attempt: attempts, maxAttempts, status: answer?.status, code, retryAfterMs: retryAfter === undefined ? undefined : retryAfterWaitMs(retryAfter),
      }, this.#policy, this.#random);
      const final = delay === 0 ? outcome : (await waitUnlessAborted(delay, call.signal)) ? undefined : abortFailure(call.signal!);
      if (final !== undefined) {
        throw final instanceof AttemptFailure ? this.#transportError(endpoint, final, attempts) : this.#apiError(endpoint, final, attempts);
      }
      this.#logger?.debug({ endpoint, retryCount: attempts, code: code ?? "ERR_NON_2XX_3XX_RESPONSE", status: answer?.status }, "retrying stacks API call");
    }
  }

  #apiError(endpoint: StacksEndpoint, answer: AttemptAnswer, attempts: number): StacksApiError {
    const body = tryParseJson(answer.text);
    const message = typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string"
      ? (body as { message: string }).message
      : answer.text;
    const apiError = new StacksApiError({
      endpoint, status: answer.status, apiMessage: message, body: body ?? answer.text,
      retryAfterMs: parseRetryAfterMs(answer.headers["retry-after"]), attempts,
    });
    this.#logger?.warn({ endpoint, status: apiError.status, attempts }, apiError.message);
    return apiError;
  }

  #transportError(endpoint: StacksEndpoint, failure: AttemptFailure, attempts: number): StacksTransportError {
    const transport = new StacksTransportError({ endpoint, code: failure.code, message: failure.message, attempts, cause: failure.cause ?? failure });
    this.#logger?.warn({ endpoint, code: transport.code, attempts }, transport.message);
    return transport;
  }
}

/** Waits `ms`; false at once if `signal` aborts first. */
function waitUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseBody(endpoint: StacksEndpoint, text: string, attempts: number): unknown {
  if (text === "") return null;
  const value = tryParseJson(text);
  if (value === undefined) {
    throw new StacksTransportError({ endpoint, code: "ERR_BODY_PARSE_FAILURE", message: `response is not JSON: ${text.slice(0, 200)}`, attempts });
  }
  return value;
}
