// Build meta-data through a job: exists, set, set-batch, get, keys. Checkout calls
// `exists` and `set` (buildkite:git:commit) with the job's token; a failure there is
// only a warning to the agent, so tests look at the stored values instead.
import { agentAndJob, optionalObjectBody } from "./agent-kit.ts";
import type { AgentRouteDef, AgentRouteRequest } from "./agent-kit.ts";
import { HttpError, ok } from "./route-kit.ts";

function buildData(request: AgentRouteRequest): Map<string, string> {
  const { job } = agentAndJob(request);
  return request.state.metaData.of(job.build.uuid);
}

function key(input: Record<string, unknown>): string {
  const value = input.key;
  if (typeof value !== "string" || value.trim() === "") throw new HttpError(422, "key is required");
  return value;
}

function value(input: Record<string, unknown>): string {
  const raw = input.value;
  if (typeof raw !== "string") throw new HttpError(422, "value must be a string");
  return raw;
}

export const agentMetaDataRoutes: AgentRouteDef[] = [
  {
    method: "POST", path: "/jobs/:id/data/exists", endpoint: "agentMetaDataExists", scope: "agent-meta-data", auth: "job", jsonBody: true,
    handle: (request) => ok({ exists: buildData(request).has(key(optionalObjectBody(request.body))) }),
  },
  {
    method: "POST", path: "/jobs/:id/data/set", endpoint: "agentMetaDataSet", scope: "agent-meta-data", auth: "job", jsonBody: true,
    handle: (request) => {
      const input = optionalObjectBody(request.body);
      buildData(request).set(key(input), value(input));
      return ok({});
    },
  },
  {
    method: "POST", path: "/jobs/:id/data/set-batch", endpoint: "agentMetaDataSetBatch", scope: "agent-meta-data", auth: "job", jsonBody: true,
    handle: (request) => {
      const items = optionalObjectBody(request.body).items;
      if (!Array.isArray(items)) throw new HttpError(422, "items must be an array");
      // Validate all before storing any, so a bad item leaves the data as it was.
      const pairs = items.map((item) => {
        const entry = optionalObjectBody(item);
        return [key(entry), value(entry)] as const;
      });
      const data = buildData(request);
      for (const [k, v] of pairs) data.set(k, v);
      return ok({});
    },
  },
  {
    method: "POST", path: "/jobs/:id/data/get", endpoint: "agentMetaDataGet", scope: "agent-meta-data", auth: "job", jsonBody: true,
    handle: (request) => {
      const k = key(optionalObjectBody(request.body));
      const stored = buildData(request).get(k);
      if (stored === undefined) throw new HttpError(404, `No meta-data value exists with key \`${k}\``);
      return ok({ key: k, value: stored });
    },
  },
  {
    method: "POST", path: "/jobs/:id/data/keys", endpoint: "agentMetaDataKeys", scope: "agent-meta-data", auth: "job", jsonBody: true,
    handle: (request) => ok([...buildData(request).keys()]),
  },
];
