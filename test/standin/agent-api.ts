// The Agent API as the real buildkite-agent uses it to run one job (`start
// --acquire-job`), on the same job store as the stacks API: the routes, and the
// gRPC ping stream at the endpoint's root, which answers 404 so the agent falls
// back to polling `GET /ping`, as it does against a server without streaming.
import type { Request, Response, Router } from "express";
import { agentJobRoutes } from "./agent-job-routes.ts";
import { DEFAULT_AGENT_SETTINGS, MetaDataStore } from "./agent-kit.ts";
import type { AgentApiState, AgentSettings } from "./agent-kit.ts";
import { agentMetaDataRoutes } from "./agent-meta-data-routes.ts";
import { AgentJobs } from "./agent-jobs.ts";
import { agentRouter } from "./agent-pipeline.ts";
import type { AgentPipelineDeps } from "./agent-pipeline.ts";
import { AgentRegistry } from "./agent-registry.ts";
import { agentSessionRoutes } from "./agent-session-routes.ts";
import type { Clock } from "./clock.ts";
import { JobLogs } from "./job-log.ts";
import type { JobStore } from "./job-store.ts";
import { send } from "./server-pipeline.ts";

/** Path of the agent's streaming ping call (Connect/gRPC), relative to the endpoint's origin. */
export const STREAM_PINGS_PATH = "/agentedge.v1.AgentEdgeService/StreamPings";

export const AGENT_ROUTES = [...agentSessionRoutes, ...agentJobRoutes, ...agentMetaDataRoutes];

export interface AgentApi {
  state: AgentApiState;
  /** Mount under the API base path (e.g. /v3); unmatched requests fall through. */
  router: Router;
  /** Mount at STREAM_PINGS_PATH on the origin. */
  streamPings(req: Request, res: Response): void;
}

export function createAgentApi(opts: {
  clock: Clock;
  store: JobStore;
  clusterToken: string;
  settings?: Partial<AgentSettings>;
  pipeline: Omit<AgentPipelineDeps, "state">;
}): AgentApi {
  const state: AgentApiState = {
    clock: opts.clock,
    store: opts.store,
    agents: new AgentRegistry(),
    agentJobs: new AgentJobs(opts.store, () => opts.clock.now()),
    logs: new JobLogs(),
    metaData: new MetaDataStore(),
    settings: { ...DEFAULT_AGENT_SETTINGS, ...opts.settings },
    clusterToken: opts.clusterToken,
  };
  const deps: AgentPipelineDeps = { ...opts.pipeline, state };
  return {
    state,
    router: agentRouter(AGENT_ROUTES, deps),
    streamPings: (req, res) => {
      const call = deps.record({
        at: opts.clock.now(), wallAt: Date.now(), method: req.method, path: req.path, query: {},
        endpoint: "agentStreamPings", stackKey: null, jobUuid: null, agentId: null,
        headers: { authorization: req.get("authorization"), userAgent: req.get("user-agent"), contentType: req.get("content-type"), accept: req.get("accept") },
        body: null, status: null, responseBody: null, faults: [],
      });
      // Drain the request so the 404 is read as an answer, not a reset.
      req.resume();
      req.on("end", () => send(res, call, { status: 404, body: { message: "Not Found" }, headers: {} }));
    },
  };
}
