// The agent's own session: register (cluster token → access token), connect,
// heartbeat, ping and disconnect.
import { optionalObjectBody, optionalString } from "./agent-kit.ts";
import type { AgentRouteDef, AgentRouteRequest } from "./agent-kit.ts";
import type { RegisteredAgent } from "./agent-registry.ts";
import { HttpError, iso, ok } from "./route-kit.ts";

function stringList(input: Record<string, unknown>, key: string): string[] {
  const value = input[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) throw new HttpError(422, `${key} must be an array of strings`);
  return value as string[];
}

function register({ body, state }: AgentRouteRequest) {
  const input = optionalObjectBody(body);
  const ignore = input.ignore_in_dispatches ?? false;
  if (typeof ignore !== "boolean") throw new HttpError(422, "ignore_in_dispatches must be a boolean");
  const agent = state.agents.register({
    name: optionalString(input, "name") ?? "",
    hostname: optionalString(input, "hostname") ?? "",
    version: optionalString(input, "version") ?? "",
    tags: stringList(input, "meta_data"),
    features: stringList(input, "features"),
    ignoreInDispatches: ignore,
  }, state.clock.now());
  const { settings } = state;
  return ok({
    id: agent.id,
    name: agent.name,
    access_token: agent.accessToken,
    // An empty endpoint keeps the agent on the one it registered with.
    endpoint: "",
    request_headers: {},
    ping_interval: settings.pingIntervalSeconds,
    job_status_interval: settings.jobStatusIntervalSeconds,
    heartbeat_interval: settings.heartbeatIntervalSeconds,
    meta_data: agent.tags,
  });
}

function callingAgent(request: AgentRouteRequest): RegisteredAgent {
  if (!request.agent) throw new Error("session route without an agent");
  return request.agent;
}

export const agentSessionRoutes: AgentRouteDef[] = [
  { method: "POST", path: "/register", endpoint: "agentRegister", scope: "agent-register", auth: "cluster-token", jsonBody: true, handle: register },
  {
    method: "POST", path: "/connect", endpoint: "agentConnect", scope: "agent-session", auth: "access-token", jsonBody: true,
    handle: (request) => {
      const agent = callingAgent(request);
      agent.state = "connected";
      agent.connectedAt = request.state.clock.now();
      return ok({ id: agent.id, connection_state: "connected" });
    },
  },
  {
    method: "POST", path: "/heartbeat", endpoint: "agentHeartbeat", scope: "agent-session", auth: "access-token", jsonBody: true,
    handle: (request) => {
      const agent = callingAgent(request);
      const sentAt = optionalString(optionalObjectBody(request.body), "sent_at");
      if (sentAt === null || Number.isNaN(Date.parse(sentAt))) throw new HttpError(422, "sent_at must be a timestamp");
      agent.heartbeats += 1;
      agent.lastHeartbeatAt = request.state.clock.now();
      return ok({ sent_at: sentAt, received_at: iso(request.state.clock.now()) });
    },
  },
  {
    method: "GET", path: "/ping", endpoint: "agentPing", scope: "agent-session", auth: "access-token", jsonBody: true,
    handle: (request) => {
      callingAgent(request).pings += 1;
      // No action and no job: an agent started with --acquire-job takes this as "done".
      return ok({});
    },
  },
  {
    method: "POST", path: "/disconnect", endpoint: "agentDisconnect", scope: "agent-session", auth: "access-token", jsonBody: true,
    handle: (request) => {
      const agent = callingAgent(request);
      agent.state = "disconnected";
      agent.disconnectedAt = request.state.clock.now();
      return ok({ id: agent.id, connection_state: "disconnected" });
    },
  },
];
