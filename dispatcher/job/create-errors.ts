// What a failed Kubernetes call means for the Buildkite job. Three answers:
//   exists     - the deterministic name is taken: the job was already dispatched (success)
//   rejected   - the apiserver or the webhook refused this Job; retrying cannot help, so the
//                Buildkite job is finished with the message
//   transient  - network, 5xx, 429, webhook unreachable, quota, RBAC being fixed…: retry with
//                backoff (Retry-After honoured) until job-creation-timeout
// The lean client's error class (kube/api-exception.ts).
import { ApiException } from "../kube/http.ts";

export type CreateFailure =
  | { kind: "exists"; message: string }
  | { kind: "rejected"; reason: "invalid" | "webhook-denied" | "bad-request" | "too-large"; status: number; message: string }
  | { kind: "transient"; reason: TransientReason; status: number | undefined; message: string; retryAfterMs: number };

export type TransientReason =
  | "throttled" | "server-error" | "webhook-unavailable" | "forbidden" | "not-found" | "conflict" | "unauthorized" | "network" | "other";

/** The parts of a metav1.Status the apiserver sends with every error. */
export interface KubeStatus {
  code?: number;
  reason?: string;
  message?: string;
}

export function statusOf(err: unknown): { status: number; body: KubeStatus; headers: Record<string, string> } | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const raw: unknown = err.body;
  let body: KubeStatus = {};
  if (typeof raw === "string") {
    try {
      body = JSON.parse(raw) as KubeStatus;
    } catch {
      body = { message: raw };
    }
  } else if (typeof raw === "object" && raw !== null) {
    body = raw as KubeStatus;
  }
  return { status: err.code, body, headers: (err.headers ?? {}) as Record<string, string> };
}

/** Retry-After in ms (whole seconds, as the apiserver sends it); 0 when absent. */
export function retryAfterMs(headers: Record<string, string>): number {
  const value = headers["retry-after"] ?? headers["Retry-After"];
  if (value === undefined || !/^\d+$/.test(value.trim())) return 0;
  return Number(value.trim()) * 1000;
}

/** The webhook said no (its message is the reason; kubectl shows it the same way). */
function isWebhookDenial(message: string): boolean {
  return /admission webhook "[^"]*" denied the request/.test(message);
}

/** The apiserver could not reach the webhook (failurePolicy: Fail): wait for it to come back. */
function isWebhookUnavailable(message: string): boolean {
  return /failed calling webhook/.test(message);
}

export function classifyCreateError(err: unknown): CreateFailure {
  const api = statusOf(err);
  if (!api) {
    const message = describeNetworkError(err);
    return { kind: "transient", reason: "network", status: undefined, message, retryAfterMs: 0 };
  }
  const { status, body, headers } = api;
  const message = body.message || `HTTP ${status}${body.reason ? ` ${body.reason}` : ""}`;
  const retryAfter = retryAfterMs(headers);
  const transient = (reason: TransientReason): CreateFailure => ({ kind: "transient", reason, status, message, retryAfterMs: retryAfter });
  if (status === 409 && body.reason === "AlreadyExists") return { kind: "exists", message };
  if (isWebhookDenial(message)) return { kind: "rejected", reason: "webhook-denied", status, message };
  if (isWebhookUnavailable(message)) return transient("webhook-unavailable");
  if (status === 422 || body.reason === "Invalid") return { kind: "rejected", reason: "invalid", status, message };
  if (status === 413) return { kind: "rejected", reason: "too-large", status, message };
  if (status === 400) return { kind: "rejected", reason: "bad-request", status, message };
  if (status === 429) return transient("throttled");
  if (status >= 500) return transient("server-error");
  if (status === 403) return transient("forbidden");
  if (status === 404) return transient("not-found");
  if (status === 409) return transient("conflict");
  if (status === 401) return transient("unauthorized");
  return transient("other");
}

/** undici's `fetch failed` hides the useful part in `cause`. */
export function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${err.message}: ${typeof code === "string" ? `${code} ` : ""}${cause.message}`;
  }
  return err.message;
}

/** Backoff before retry `attempt` (1-based): 250 ms doubling to 10 s, ±20 % jitter; Retry-After wins. */
export function createRetryDelayMs(attempt: number, retryAfter: number, random: () => number = Math.random): number {
  if (retryAfter > 0) return Math.min(retryAfter, 60_000);
  const base = Math.min(250 * 2 ** Math.max(0, attempt - 1), 10_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}
