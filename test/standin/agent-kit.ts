// What the Agent API routes share: the state they act on, how a route is declared,
// and the small parsing helpers. The pipeline in agent-pipeline.ts does recording,
// faults, auth and limits around each route's `handle`.
import type { AgentJobs } from "./agent-jobs.ts";
import type { AgentRegistry, RegisteredAgent } from "./agent-registry.ts";
import type { Clock } from "./clock.ts";
import type { JobLogs } from "./job-log.ts";
import type { JobStore } from "./job-store.ts";
import type { AgentRateLimitScope } from "./rate-limiter.ts";
import { HttpError } from "./route-kit.ts";
import type { RouteResult } from "./route-kit.ts";
import type { AgentEndpointName, StandinJob } from "./types.ts";

/** Intervals (seconds) and limits the stand-in tells agents at register and acquire. */
export interface AgentSettings {
  pingIntervalSeconds: number;
  heartbeatIntervalSeconds: number;
  jobStatusIntervalSeconds: number;
  chunksMaxSizeBytes: number;
  chunksIntervalSeconds: number;
}

export const DEFAULT_AGENT_SETTINGS: AgentSettings = {
  // Shorter than Buildkite's so that tests see pings, heartbeats and cancels quickly.
  pingIntervalSeconds: 2,
  heartbeatIntervalSeconds: 5,
  jobStatusIntervalSeconds: 1,
  chunksMaxSizeBytes: 100 * 1024,
  chunksIntervalSeconds: 1,
};

/** Build meta-data (Buildkite keeps it per build: every job of the build sees it). */
export class MetaDataStore {
  readonly #byBuild = new Map<string, Map<string, string>>();

  of(buildId: string): Map<string, string> {
    let data = this.#byBuild.get(buildId);
    if (!data) {
      data = new Map();
      this.#byBuild.set(buildId, data);
    }
    return data;
  }
}

export interface AgentApiState {
  clock: Clock;
  store: JobStore;
  agents: AgentRegistry;
  agentJobs: AgentJobs;
  logs: JobLogs;
  metaData: MetaDataStore;
  settings: AgentSettings;
  /** The cluster's agent token, accepted by register only. */
  clusterToken: string;
}

/**
 * Who may call a route: `cluster-token` (register), `access-token` (a registered,
 * connected agent), `job` (an agent's access token, or the job's own token from acquire).
 */
export type AgentAuth = "cluster-token" | "access-token" | "job";

export interface AgentRouteRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON, undefined when empty. */
  body: unknown;
  rawBody: Buffer;
  contentEncoding: string | undefined;
  /** The calling agent (null on register). */
  agent: RegisteredAgent | null;
  /** The job named by `:id` (job routes only; 404 before the handler otherwise). */
  job: StandinJob | null;
  state: AgentApiState;
}

export interface AgentRouteDef {
  method: "GET" | "POST" | "PUT";
  /** Express path below the base path, e.g. `/jobs/:id/acquire`. */
  path: string;
  endpoint: AgentEndpointName;
  scope: AgentRateLimitScope;
  auth: AgentAuth;
  /** Whether the body is JSON (everything but log chunks). */
  jsonBody: boolean;
  handle(request: AgentRouteRequest): RouteResult;
}

/** The body as an object; an empty body counts as `{}` (the agent sends none on some calls). */
export function optionalObjectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new HttpError(400, "Request body must be a JSON object");
  return body as Record<string, unknown>;
}

export function optionalString(input: Record<string, unknown>, key: string): string | null {
  const value = input[key];
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new HttpError(422, `${key} must be a string`);
  return value;
}

/** The agent and job of a job route (the pipeline guarantees both). */
export function agentAndJob(request: AgentRouteRequest): { agent: RegisteredAgent; job: StandinJob } {
  if (!request.agent || !request.job) throw new Error("job route without agent or job");
  return { agent: request.agent, job: request.job };
}
