// What a stacks-API route is, and the small helpers its handlers share. Handlers
// are synchronous functions of the parsed request; the pipeline in server-pipeline.ts
// does auth, faults, limits and recording around them.
import type { Clock } from "./clock.ts";
import type { JobLifecycle } from "./job-lifecycle.ts";
import type { JobStore } from "./job-store.ts";
import type { RateLimitScope } from "./rate-limiter.ts";
import type { StackRegistry } from "./stack-registry.ts";
import type { EndpointName, StandinStack } from "./types.ts";

/** An error answer: `{"message": …}` with the given status. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

// The stand-in declares the wire shapes itself rather than importing the client's: two
// independent readings of the protocol are what let the client tests catch a mistake in either.
export interface TokenIdentity {
  uuid: string;
  description: string;
  token_type: string;
  organization_slug: string;
  organization_uuid: string;
  cluster_uuid: string;
  cluster_name: string;
  organization_queue_uuid: string;
  organization_queue_key: string;
}

export interface StandinState {
  clock: Clock;
  store: JobStore;
  lifecycle: JobLifecycle;
  stacks: StackRegistry;
  identity: TokenIdentity;
  defaultPageSize: number;
  /** When set, only these queues (plus the default and any a job was enqueued to) exist. */
  knownQueues: string[] | null;
}

export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  /** The active stack named by `:key`, for routes under /stacks/:key. */
  stack: StandinStack;
  state: StandinState;
}

export interface RouteResult {
  status: number;
  /** null for an empty body (204). */
  body: unknown;
  /** Extra response headers (e.g. Retry-After on a 423). */
  headers?: Record<string, string>;
}

export interface RouteDef {
  method: "GET" | "POST" | "PUT";
  /** Express path below the base path, e.g. `/stacks/:key/jobs/:uuid`. */
  path: string;
  endpoint: EndpointName;
  scope: RateLimitScope | null;
  /** Whether `:key` must name an active stack (404 otherwise). */
  needsStack: boolean;
  handle(request: RouteRequest): RouteResult;
}

export function ok(body: unknown, status = 200): RouteResult {
  return { status, body };
}

/** The body as an object, or 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpError(400, "Request body must be a JSON object");
  }
  return body as Record<string, unknown>;
}

/** `job_uuids`: an array of strings (400 otherwise), at most 1000 (422). */
export function jobUuids(body: Record<string, unknown>): string[] {
  const ids = body.job_uuids;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === "string")) {
    throw new HttpError(400, "job_uuids must be an array of strings");
  }
  if (ids.length > 1000) throw new HttpError(422, "job_uuids cannot contain more than 1000 items");
  return ids as string[];
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
