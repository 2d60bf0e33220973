// Test controls on the Agent API: injected faults and rate limits (as on the stacks
// endpoints), and scheduling a step over /_standin with its repo, branch, commit,
// command, plugins and env.
import assert from "node:assert/strict";
import { AgentApiClient } from "../../standin/agent-client.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";

describe("stand-in Agent API: faults, rate limits, scheduling over HTTP", () => {
  let standin: StandinHandle;
  let agent: AgentApiClient;
  beforeEach(async () => {
    standin = await startStandin({ rateLimits: false });
    agent = new AgentApiClient(standin.url, standin.token);
    await agent.register();
  });
  afterEach(() => standin.stop());

  const control = (method: string, path: string, body: unknown) =>
    fetch(`${standin.origin}/_standin${path}`, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("injects scripted errors and drops on agent endpoints, leaving the job untouched by a refused call", async () => {
    const id = standin.enqueue({ command: "true" });
    standin.failNext({ endpoint: "agentAcquireJob", status: 503, retryAfterSeconds: 1 });
    const failed = await agent.acquire(id);
    assert.equal(failed.status, 503);
    assert.equal(failed.headers.get("retry-after"), "1");
    assert.equal(standin.job(id)?.state, "scheduled");
    assert.equal((await agent.acquire(id)).status, 200);
    await agent.start(id);
    standin.failNext({ endpoint: "agentFinishJob", drop: "after" });
    await assert.rejects(agent.finish(id, { exit_status: "0" }), "the connection is closed without an answer");
    assert.equal(standin.job(id)?.state, "finished", "the finish took effect before the drop");
    assert.equal((await agent.finish(id, { exit_status: "0" })).status, 422, "the agent's retry is then refused");
    assert.equal(standin.jobRecord(id).finish_count, 1);
    const finishes = standin.calls("agentFinishJob");
    assert.deepEqual(finishes.map((c) => [c.status, c.faults]), [[null, ["drop"]], [422, []]]);
    assert.equal(finishes[1]?.agentId, standin.agents()[0]?.id);
  });

  it("limits random faults to the endpoints named", async () => {
    standin.setFaults({ errorRate: 1, endpoints: ["agentHeartbeat"] });
    assert.equal((await agent.heartbeat()).status >= 500, true);
    assert.equal((await agent.ping()).status, 200);
    await control("PUT", "/faults", {});
    assert.equal((await agent.heartbeat()).status, 200);
  });

  it("rate-limits an agent scope only when a test sets a limit, with Retry-After and RateLimit-* headers", async () => {
    standin.setRateLimits({});
    for (let i = 0; i < 30; i++) assert.equal((await agent.ping()).status, 200, "agent scopes are unlimited by default");
    const res = await control("PUT", "/rate-limits", { limits: { "agent-session": 2 } });
    assert.equal(res.status, 200);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await agent.ping());
    assert.deepEqual(statuses.map((s) => s.status), [200, 200, 429]);
    const limited = statuses[2];
    assert.equal(limited?.headers.get("ratelimit-scope"), "agent-session");
    assert.equal(limited?.headers.get("retry-after"), "1");
    assert.equal(standin.calls("agentPing").at(-1)?.faults.includes("rate-limited"), true);
    assert.equal((await control("PUT", "/rate-limits", { limits: false })).status, 200);
    assert.equal((await agent.ping()).status, 200);
    assert.equal((await control("PUT", "/rate-limits", { limits: "lots" })).status, 409);
  });

  it("injects a one-shot fault over /_standin/faults/next", async () => {
    assert.equal((await control("POST", "/faults/next", { endpoint: "agentPing", status: 500, times: 2 })).status, 200);
    assert.deepEqual([(await agent.ping()).status, (await agent.ping()).status, (await agent.ping()).status], [500, 500, 200]);
  });

  it("schedules a step over /_standin/builds with repo, branch, commit, command, plugins and env, as acquire then returns them", async () => {
    const res = await control("POST", "/builds", {
      build: { repo: "git://127.0.0.1:9999/app.git", branch: "release", commit: "abc123", pipeline: "app", env: { FROM_BUILD: "b" } },
      steps: [{ command: ["echo one", "echo \"$HOME\" $$ '$(x)'"], plugins: [{ "docker#v5.0.0": { image: "alpine" } }], env: { FROM_STEP: "s" }, agents: { queue: "kubernetes" } }],
    });
    assert.equal(res.status, 201);
    const { ids } = (await res.json()) as { ids: string[] };
    const acquired = await agent.acquire(ids[0] ?? "");
    const env = acquired.body.env as Record<string, string>;
    assert.equal(env.BUILDKITE_REPO, "git://127.0.0.1:9999/app.git");
    assert.equal(env.BUILDKITE_BRANCH, "release");
    assert.equal(env.BUILDKITE_COMMIT, "abc123");
    assert.equal(env.BUILDKITE_COMMAND, "echo one\necho \"$HOME\" $$ '$(x)'", "commands joined by newlines, $ untouched");
    assert.equal(env.BUILDKITE_PLUGINS, JSON.stringify([{ "github.com/buildkite-plugins/docker-buildkite-plugin#v5.0.0": { image: "alpine" } }]));
    assert.equal(env.FROM_BUILD, "b");
    assert.equal(env.FROM_STEP, "s");
    assert.equal(env.BUILDKITE_AGENT_META_DATA_QUEUE, "kubernetes");
  });
});
