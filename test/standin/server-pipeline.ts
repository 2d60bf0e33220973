// Wraps a route handler in what every stacks-API request goes through, in order:
// record → injected latency → injected drop/error → auth → JSON body → rate limit
// → stack lookup → handler (→ drop after handling). Every request is recorded,
// including refused and dropped ones.
import type { Request, Response } from "express";
import { setTimeout as sleep } from "node:timers/promises";
import type { FaultDecision, FaultInjector } from "./faults.ts";
import type { SlidingWindowLimiter } from "./rate-limiter.ts";
import { HttpError } from "./route-kit.ts";
import type { RouteDef, StandinState } from "./route-kit.ts";
import type { CallRecord, EndpointName } from "./types.ts";

export interface PipelineDeps {
  state: StandinState;
  token: string;
  faults: FaultInjector;
  limiter: SlidingWindowLimiter;
  record(call: Omit<CallRecord, "seq">): CallRecord;
}

interface Answer {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

export function routeHandler(route: RouteDef, deps: PipelineDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const parsed = parseJsonBody(req.body);
    const call = recordRequest(req, route.endpoint, parsed.value, deps);
    const decision = deps.faults.decide(route.endpoint);
    if (await injectFault(decision, req, res, call)) return;
    const action = decision.action;
    const answer = answerRequest(route, req, parsed, call, deps);
    if (action.kind === "drop") return drop(req, call);
    send(res, call, answer);
  };
}

function answerRequest(route: RouteDef, req: Request, parsed: ParsedBody, call: CallRecord, deps: PipelineDeps): Answer {
  const headers: Record<string, string> = {};
  try {
    if (req.get("authorization") !== `Token ${deps.token}`) throw new HttpError(401, "Invalid or missing agent token");
    if (parsed.error) throw new HttpError(400, parsed.error);
    const params = req.params as Record<string, string>;
    if (route.scope !== null) {
      const bodyKey = (parsed.value as { key?: unknown } | undefined)?.key;
      const rateKey = params.key ?? (typeof bodyKey === "string" ? bodyKey : "");
      const decision = deps.limiter.check(route.scope, rateKey);
      if (decision) {
        Object.assign(headers, {
          "RateLimit-Scope": decision.scope,
          "RateLimit-Limit": String(decision.limit),
          "RateLimit-Remaining": String(decision.remaining),
          "RateLimit-Reset": String(decision.resetSeconds),
        });
        if (!decision.allowed) {
          call.faults.push("rate-limited");
          headers["Retry-After"] = String(decision.resetSeconds);
          const message = `You have exceeded your API rate limit. Please wait ${decision.resetSeconds} seconds before making more requests.`;
          return { status: 429, headers, body: { message, scope: decision.scope, limit: decision.limit, current: decision.current, reset: decision.resetSeconds } };
        }
      }
    }
    const stack = route.needsStack ? deps.state.stacks.find(params.key ?? "") : undefined;
    if (route.needsStack && !stack) throw new HttpError(404, "Stack not found");
    const query = flatQuery(req.query);
    const result = route.handle({ params, query, body: parsed.value, stack: stack as NonNullable<typeof stack>, state: deps.state });
    return { status: result.status, body: result.body, headers };
  } catch (err) {
    if (err instanceof HttpError) return { status: err.status, body: { message: err.message }, headers };
    return { status: 500, body: { message: `Stand-in error: ${err instanceof Error ? err.message : String(err)}` }, headers };
  }
}

interface ParsedBody {
  value: unknown;
  error: string | null;
}

/** Bodies arrive raw so that an invalid one can still be recorded. */
function parseJsonBody(raw: unknown): ParsedBody {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return { value: undefined, error: null };
  const text = raw.toString("utf8");
  try {
    return { value: JSON.parse(text), error: null };
  } catch (err) {
    return { value: text, error: `Invalid JSON body: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function flatQuery(query: Request["query"]): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === "string") flat[key] = value;
    else if (Array.isArray(value) && typeof value[0] === "string") flat[key] = value[0];
  }
  return flat;
}

export function recordRequest(req: Request, endpoint: EndpointName | null, body: unknown, deps: Pick<PipelineDeps, "record" | "state">): CallRecord {
  const params = req.params as Record<string, string | undefined>;
  return deps.record({
    at: deps.state.clock.now(),
    wallAt: Date.now(),
    method: req.method,
    path: req.baseUrl + req.path,
    query: flatQuery(req.query),
    endpoint,
    stackKey: params.key ?? null,
    jobUuid: params.uuid ?? null,
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

export function send(res: Response, call: CallRecord, answer: Answer): void {
  call.status = answer.status;
  call.responseBody = answer.body;
  res.status(answer.status).set(answer.headers);
  if (answer.body === null) {
    res.end();
    return;
  }
  res.type("application/json").send(JSON.stringify(answer.body));
}

/**
 * The injected faults every request meets before it is handled (latency, a drop, an error answer),
 * for the stacks and the Agent API alike. True when the request was answered or dropped.
 */
export async function injectFault(decision: FaultDecision, req: Request, res: Response, call: CallRecord): Promise<boolean> {
  if (decision.latencyMs > 0) {
    call.faults.push("latency");
    await sleep(decision.latencyMs);
  }
  const action = decision.action;
  if (action.kind === "drop" && action.when === "before") {
    drop(req, call);
    return true;
  }
  if (action.kind === "error") {
    call.faults.push("error");
    const headers: Record<string, string> = action.retryAfterSeconds === undefined ? {} : { "Retry-After": String(action.retryAfterSeconds) };
    send(res, call, { status: action.status, body: { message: action.message }, headers });
    return true;
  }
  return false;
}

export function drop(req: Request, call: CallRecord): void {
  call.faults.push("drop");
  call.status = null;
  req.socket.destroy();
}
