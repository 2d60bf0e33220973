// The job calls of an agent started with --acquire-job: acquire, start, job state
// polling, log chunks and finish.
import { gunzipSync } from "node:zlib";
import { AgentMoveRefused, JobLocked } from "./agent-jobs.ts";
import { agentAndJob, optionalObjectBody, optionalString } from "./agent-kit.ts";
import type { AgentApiState, AgentRouteDef, AgentRouteRequest } from "./agent-kit.ts";
import type { RegisteredAgent } from "./agent-registry.ts";
import { ChunkConflict } from "./job-log.ts";
import { HttpError, iso, ok } from "./route-kit.ts";
import type { StandinJob } from "./types.ts";

/** Seconds the agent should wait before acquiring a locked job again. */
const LOCKED_RETRY_AFTER_SECONDS = 2;

/** Turns the agent moves' refusals into the statuses the agent acts on. */
function asHttp<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof JobLocked) throw new HttpError(423, err.message);
    if (err instanceof AgentMoveRefused) throw new HttpError(422, err.message);
    throw err;
  }
}

/** The job as acquire returns it: what the agent needs to run it (api.Job). */
export function acquiredJobJson(job: StandinJob, agent: RegisteredAgent, state: AgentApiState): Record<string, unknown> {
  const step: Record<string, unknown> = { label: job.label, command: job.command };
  if (job.step.key !== null) step.key = job.step.key;
  return {
    id: job.id,
    state: job.state,
    endpoint: "",
    env: { ...job.env, BUILDKITE_AGENT_NAME: agent.name },
    step,
    chunks_max_size_bytes: state.settings.chunksMaxSizeBytes,
    chunks_interval_seconds: state.settings.chunksIntervalSeconds,
    token: job.agentRun?.jobToken ?? "",
    priority: job.priority,
    runnable_at: iso(job.scheduledAt),
  };
}

function acquire(request: AgentRouteRequest) {
  const { agent, job } = agentAndJob(request);
  try {
    asHttp(() => request.state.agentJobs.acquire(job, agent));
  } catch (err) {
    // Retry-After on a 423 sets the agent's wait before its next acquire attempt.
    if (err instanceof HttpError && err.status === 423) {
      return { status: 423, body: { message: err.message }, headers: { "Retry-After": String(LOCKED_RETRY_AFTER_SECONDS) } };
    }
    throw err;
  }
  return ok(acquiredJobJson(job, agent, request.state));
}

function start(request: AgentRouteRequest) {
  const { agent, job } = agentAndJob(request);
  const startedAt = optionalString(optionalObjectBody(request.body), "started_at");
  asHttp(() => request.state.agentJobs.start(job, agent, startedAt));
  return ok({ id: job.id, state: job.state });
}

function intParam(query: Record<string, string>, key: string, min: number): number {
  const raw = query[key];
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < min) throw new HttpError(400, `${key} must be an integer >= ${min}`);
  return Number(raw);
}

function uploadChunk(request: AgentRouteRequest) {
  const { agent, job } = agentAndJob(request);
  asHttp(() => request.state.agentJobs.requireHolder(job, agent));
  const sequence = intParam(request.query, "sequence", 1);
  const offset = intParam(request.query, "offset", 0);
  const size = intParam(request.query, "size", 0);
  if (request.contentEncoding?.toLowerCase() !== "gzip") throw new HttpError(400, "Log chunks must be sent gzip-compressed (Content-Encoding: gzip)");
  let data: Buffer;
  try {
    data = gunzipSync(request.rawBody);
  } catch (err) {
    throw new HttpError(400, `Log chunk is not valid gzip: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (data.length !== size) throw new HttpError(422, `Log chunk ${sequence} has ${data.length} bytes but size=${size}`);
  const afterFinish = request.state.agentJobs.ended(job);
  try {
    const outcome = request.state.logs.for(job.id).add({ sequence, offset, size, data, receivedAt: request.state.clock.now(), afterFinish });
    return ok({ sequence, outcome }, 201);
  } catch (err) {
    if (err instanceof ChunkConflict) throw new HttpError(422, err.message);
    throw err;
  }
}

function finish(request: AgentRouteRequest) {
  const { agent, job } = agentAndJob(request);
  const input = optionalObjectBody(request.body);
  const exitStatus = input.exit_status;
  if (typeof exitStatus !== "string" || !/^-?\d+$/.test(exitStatus)) {
    const refusal = `exit_status must be an integer written as a string, got ${JSON.stringify(exitStatus)}`;
    job.finishAttempts.push({ by: "agent", at: request.state.clock.now(), accepted: false, exitStatus: null, refusal });
    throw new HttpError(422, refusal);
  }
  const failed = input.chunks_failed_count ?? 0;
  if (typeof failed !== "number" || !Number.isInteger(failed) || failed < 0) throw new HttpError(422, "chunks_failed_count must be a non-negative integer");
  asHttp(() => request.state.agentJobs.finish(job, agent, {
    exitStatus,
    signal: optionalString(input, "signal"),
    signalReason: optionalString(input, "signal_reason"),
    chunksFailedCount: failed,
    reportedFinishedAt: optionalString(input, "finished_at"),
  }));
  return ok({ id: job.id, state: job.state });
}

export const agentJobRoutes: AgentRouteDef[] = [
  { method: "PUT", path: "/jobs/:id/acquire", endpoint: "agentAcquireJob", scope: "agent-acquire", auth: "job", jsonBody: true, handle: acquire },
  { method: "PUT", path: "/jobs/:id/start", endpoint: "agentStartJob", scope: "agent-job", auth: "job", jsonBody: true, handle: start },
  {
    method: "GET", path: "/jobs/:id", endpoint: "agentJobState", scope: "agent-job", auth: "job", jsonBody: true,
    handle: (request) => {
      const { job } = agentAndJob(request);
      return ok({ id: job.id, state: job.state });
    },
  },
  { method: "POST", path: "/jobs/:id/chunks", endpoint: "agentUploadChunk", scope: "agent-chunks", auth: "job", jsonBody: false, handle: uploadChunk },
  { method: "PUT", path: "/jobs/:id/finish", endpoint: "agentFinishJob", scope: "agent-finish", auth: "job", jsonBody: true, handle: finish },
];
