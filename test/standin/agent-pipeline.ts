// Wraps an Agent API route in what every agent request goes through, in order:
// record → injected latency → injected drop/error → auth → body → rate limit →
// job lookup → handler (→ drop after handling). The same faults and limits as the
// stacks API (server-pipeline.ts); auth is by the agent's tokens instead of the
// cluster's, and bodies arrive unparsed because log chunks are gzip.
import express from "express";
import type { NextFunction, Request, Response, Router } from "express";
import type { AgentApiState, AgentRouteDef } from "./agent-kit.ts";
import type { RegisteredAgent } from "./agent-registry.ts";
import type { FaultInjector } from "./faults.ts";
import type { SlidingWindowLimiter } from "./rate-limiter.ts";
import { HttpError } from "./route-kit.ts";
import { drop, flatQuery, injectFault, send } from "./server-pipeline.ts";
import type { CallRecord, StandinJob } from "./types.ts";

export interface AgentPipelineDeps {
  state: AgentApiState;
  faults: FaultInjector;
  limiter: SlidingWindowLimiter;
  record(call: Omit<CallRecord, "seq">): CallRecord;
}

const MAX_BODY_BYTES = 50 * 1024 * 1024;

/** A router serving the given routes; requests that match none fall through (next()). */
export function agentRouter(routes: AgentRouteDef[], deps: AgentPipelineDeps): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  for (const route of routes) {
    const method = route.method === "GET" ? "get" : route.method === "PUT" ? "put" : "post";
    router[method](route.path, readRawBody, agentHandler(route, deps));
  }
  return router;
}

/** Collects the body as bytes, without decoding gzip (the chunk route checks it itself). */
function readRawBody(req: Request, res: Response, next: NextFunction): void {
  const parts: Buffer[] = [];
  let size = 0;
  req.on("data", (part: Buffer) => {
    size += part.length;
    if (size <= MAX_BODY_BYTES) parts.push(part);
  });
  req.on("end", () => {
    if (size > MAX_BODY_BYTES) {
      res.status(413).json({ message: "Request body too large" });
      return;
    }
    req.body = Buffer.concat(parts);
    next();
  });
  req.on("error", next);
}

function agentHandler(route: AgentRouteDef, deps: AgentPipelineDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const parsed = route.jsonBody ? parseJson(raw) : { value: undefined, error: null };
    const call = recordAgentRequest(req, route, route.jsonBody ? parsed.value : { bytes: raw.length }, deps);
    const decision = deps.faults.decide(route.endpoint);
    if (await injectFault(decision, req, res, call)) return;
    const action = decision.action;
    const headers: Record<string, string> = {};
    let answer;
    try {
      const { agent, job } = authenticate(route, req, deps.state);
      call.agentId = agent?.id ?? null;
      if (parsed.error) throw new HttpError(400, parsed.error);
      const limited = rateLimit(route, agent, deps, headers, call);
      if (limited) {
        answer = limited;
      } else {
        const params = req.params as Record<string, string>;
        const result = route.handle({
          params, query: flatQuery(req.query), body: parsed.value, rawBody: raw,
          contentEncoding: req.get("content-encoding"), agent, job, state: deps.state,
        });
        answer = { status: result.status, body: result.body, headers: { ...headers, ...result.headers } };
      }
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : `Stand-in error: ${err instanceof Error ? err.message : String(err)}`;
      answer = { status, body: { message }, headers };
    }
    if (action.kind === "drop") return drop(req, call);
    send(res, call, answer);
  };
}

function authenticate(route: AgentRouteDef, req: Request, state: AgentApiState): { agent: RegisteredAgent | null; job: StandinJob | null } {
  const header = req.get("authorization") ?? "";
  const token = header.startsWith("Token ") ? header.slice("Token ".length) : "";
  if (route.auth === "cluster-token") {
    if (token === "" || token !== state.clusterToken) throw new HttpError(401, "Invalid or missing agent registration token");
    return { agent: null, job: null };
  }
  const byAccessToken = token === "" ? undefined : state.agents.byToken(token);
  if (route.auth === "access-token") {
    if (!byAccessToken) throw new HttpError(401, "Invalid or missing access token");
    return { agent: byAccessToken, job: null };
  }
  const jobId = (req.params as Record<string, string | undefined>).id ?? "";
  const job = state.store.get(jobId) ?? null;
  // A job's own token (from acquire) stands for the agent holding it, for that job only.
  const byJobToken = job?.agentRun && token !== "" && job.agentRun.jobToken === token ? state.agents.get(job.agentRun.agentId) : undefined;
  const agent = byAccessToken ?? byJobToken;
  if (!agent) throw new HttpError(401, "Invalid or missing access token");
  if (!job) throw new HttpError(404, "Job not found");
  return { agent, job };
}

function rateLimit(route: AgentRouteDef, agent: RegisteredAgent | null, deps: AgentPipelineDeps, headers: Record<string, string>, call: CallRecord) {
  const decision = deps.limiter.check(route.scope, agent?.id ?? "unregistered");
  if (!decision) return null;
  Object.assign(headers, {
    "RateLimit-Scope": decision.scope,
    "RateLimit-Limit": String(decision.limit),
    "RateLimit-Remaining": String(decision.remaining),
    "RateLimit-Reset": String(decision.resetSeconds),
  });
  if (decision.allowed) return null;
  call.faults.push("rate-limited");
  headers["Retry-After"] = String(decision.resetSeconds);
  const message = `You have exceeded your API rate limit. Please wait ${decision.resetSeconds} seconds before making more requests.`;
  return { status: 429, headers, body: { message, scope: decision.scope, limit: decision.limit, current: decision.current, reset: decision.resetSeconds } };
}

function parseJson(raw: Buffer): { value: unknown; error: string | null } {
  if (raw.length === 0) return { value: undefined, error: null };
  const text = raw.toString("utf8");
  try {
    return { value: JSON.parse(text), error: null };
  } catch (err) {
    return { value: text, error: `Invalid JSON body: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function recordAgentRequest(req: Request, route: AgentRouteDef, body: unknown, deps: AgentPipelineDeps): CallRecord {
  const params = req.params as Record<string, string | undefined>;
  return deps.record({
    at: deps.state.clock.now(),
    wallAt: Date.now(),
    method: req.method,
    path: req.baseUrl + req.path,
    query: flatQuery(req.query),
    endpoint: route.endpoint,
    stackKey: null,
    jobUuid: params.id ?? null,
    agentId: null,
    headers: {
      authorization: req.get("authorization"),
      userAgent: req.get("user-agent"),
      contentType: req.get("content-type"),
      accept: req.get("accept"),
    },
    body: body ?? null,
    status: null,
    responseBody: null,
    faults: [],
  });
}

