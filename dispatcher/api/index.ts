// Public surface of the stacks API client.
export { DEFAULT_ENDPOINT, DEFAULT_TIMEOUT_MS, escapePathSegment, isQueuePaused, StacksClient } from "./client.ts";
export type { ApiResponse, CallOptions, StacksClientOptions } from "./client.ts";
export {
  cropFinishDetail, cropNotificationDetail, FINISH_CROP_SUFFIX, FINISH_DETAIL_MAX_BYTES, NOTIFICATION_CROP_SUFFIX,
  NOTIFICATION_DETAIL_MAX_CHARS,
} from "./crop.ts";
export { isPermanentError, isRetryableError, StacksApiError, StacksTransportError } from "./errors.ts";
export type { StacksEndpoint } from "./errors.ts";
export { DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_POLICY, parseRetryAfterMs, retryDelayMs } from "./retry.ts";
export type { RetryPolicy } from "./retry.ts";
export type * from "./types.ts";
