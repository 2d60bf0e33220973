// The stand-in's Agent API, as buildkite-agent v3.136.2 uses it to run one job:
// register, connect, acquire, start, job state, log chunks, finish, heartbeat, ping,
// disconnect, and the gRPC ping stream's 404. Driven with our own HTTP calls.
import assert from "node:assert/strict";
import { AgentApiClient } from "../../standin/agent-client.ts";
import { ManualClock } from "../../standin/clock.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";

describe("stand-in Agent API: one job, start to finish", () => {
  let standin: StandinHandle;
  let clock: ManualClock;
  let agent: AgentApiClient;
  beforeEach(async () => {
    clock = new ManualClock(Date.now());
    standin = await startStandin({ clock, rateLimits: false });
    agent = new AgentApiClient(standin.url, standin.token);
  });
  afterEach(() => standin.stop());

  const stackStates = async (id: string) => {
    const res = await fetch(`${standin.url}/stacks/s1/jobs/get-states`, {
      method: "POST", headers: { authorization: `Token ${standin.token}`, "content-type": "application/json" }, body: JSON.stringify({ job_uuids: [id] }),
    });
    return ((await res.json()) as { states: Record<string, string> }).states[id];
  };

  it("registers with the cluster's agent token and answers with an access token and non-zero intervals", async () => {
    const wrong = await new AgentApiClient(standin.url, "bkct_wrong").register();
    assert.equal(wrong.status, 401);
    const none = await new AgentApiClient(standin.url, "").register();
    assert.equal(none.status, 401);
    const res = await agent.register({ name: "pod-abc-1", meta_data: ["queue=kubernetes", "os=linux"] });
    assert.equal(res.status, 200);
    const body = res.body;
    assert.match(String(body.id), /^[0-9a-f-]{36}$/);
    assert.equal(body.name, "pod-abc-1");
    assert.match(String(body.access_token), /^bkua_[0-9a-f]{40}$/);
    assert.notEqual(body.access_token, standin.token);
    for (const key of ["ping_interval", "heartbeat_interval", "job_status_interval"]) assert.ok(Number(body[key]) > 0, `${key} must be > 0 (0 panics the agent's ticker)`);
    assert.deepEqual(body.meta_data, ["queue=kubernetes", "os=linux"]);
    const [registered] = standin.agents();
    assert.equal(registered?.name, "pod-abc-1");
    assert.deepEqual(registered?.features, ["acquire-job"]);
    assert.equal(registered?.ignoreInDispatches, true);
    assert.equal("accessToken" in (registered ?? {}), false, "snapshots leave the token out");
  });

  it("refuses the cluster token where the access token is needed, and the access token for register", async () => {
    const asCluster = new AgentApiClient(standin.url, standin.token);
    assert.equal((await asCluster.connect()).status, 401);
    await agent.register();
    const again = await agent.request("POST", "/register", { json: {} });
    assert.equal(again.status, 401);
  });

  it("connects, heartbeats, pings with no action, and disconnects (after which its token no longer works)", async () => {
    await agent.register();
    assert.equal((await agent.connect()).status, 200);
    const beat = await agent.heartbeat();
    assert.equal(beat.status, 200);
    assert.equal(typeof beat.body.sent_at, "string");
    assert.equal(typeof beat.body.received_at, "string");
    const ping = await agent.ping();
    assert.equal(ping.status, 200);
    assert.deepEqual(ping.body, {});
    assert.equal((await agent.request("POST", "/heartbeat", { json: {} })).status, 422, "sent_at is required");
    assert.equal((await agent.disconnect()).status, 200);
    const [snapshot] = standin.agents();
    assert.equal(snapshot?.state, "disconnected");
    assert.equal(snapshot?.heartbeats, 1);
    assert.equal(snapshot?.pings, 1);
    assert.equal((await agent.heartbeat()).status, 401);
  });

  it("answers the gRPC StreamPings path at the endpoint's root with 404", async () => {
    const res = await fetch(`${standin.origin}/agentedge.v1.AgentEdgeService/StreamPings`, {
      method: "POST", headers: { "content-type": "application/grpc", te: "trailers" }, body: Buffer.from([0, 0, 0, 0, 0]),
    });
    assert.equal(res.status, 404);
    assert.equal(standin.calls("agentStreamPings").length, 1);
  });

  it("runs a job: acquire with the env the bootstrap needs, start, state, chunks, finish; the stacks API sees each state", async () => {
    const id = standin.enqueue(
      { command: "echo hello", key: "hello", label: "hello", agents: { queue: "kubernetes" }, env: { STEP_VAR: "1" }, plugins: [{ kubernetes: { checkout: { skip: true } } }] },
      { repo: "git://127.0.0.1:9418/demo.git", branch: "feature/x", commit: "0123456789abcdef0123456789abcdef01234567", pipeline: "demo", tag: "v1.0.0", env: { BUILD_VAR: "2" } },
    );
    await fetch(`${standin.url}/stacks/register`, {
      method: "POST", headers: { authorization: `Token ${standin.token}`, "content-type": "application/json" },
      body: JSON.stringify({ key: "s1", type: "custom", queue_key: "kubernetes", metadata: {} }),
    });
    assert.equal(await stackStates(id), "scheduled");
    await agent.register({ name: "pod-1" });
    await agent.connect();
    const acquired = await agent.acquire(id);
    assert.equal(acquired.status, 200);
    const job = acquired.body;
    assert.equal(job.id, id);
    assert.ok(Number(job.chunks_max_size_bytes) > 0);
    assert.match(String(job.token), /^bkaj_/);
    const env = job.env as Record<string, string>;
    assert.equal(env.BUILDKITE_JOB_ID, id);
    assert.equal(env.BUILDKITE_REPO, "git://127.0.0.1:9418/demo.git");
    assert.equal(env.BUILDKITE_BRANCH, "feature/x");
    assert.equal(env.BUILDKITE_COMMIT, "0123456789abcdef0123456789abcdef01234567");
    assert.equal(env.BUILDKITE_TAG, "v1.0.0");
    assert.equal(env.BUILDKITE_COMMAND, "echo hello");
    assert.equal(env.BUILDKITE_AGENT_NAME, "pod-1");
    assert.equal(env.BUILDKITE_PIPELINE_SLUG, "demo");
    assert.equal(env.BUILDKITE_ORGANIZATION_SLUG, "standin-org");
    assert.equal(env.BUILDKITE_PIPELINE_PROVIDER, "github");
    assert.equal(env.BUILDKITE_BUILD_NUMBER, "1");
    assert.equal(env.BUILDKITE_STEP_KEY, "hello");
    assert.equal(env.STEP_VAR, "1");
    assert.equal(env.BUILD_VAR, "2");
    assert.deepEqual(JSON.parse(env.BUILDKITE_PLUGINS ?? "null"), [{ "github.com/buildkite-plugins/kubernetes-buildkite-plugin": { checkout: { skip: true } } }]);
    assert.deepEqual(job.step, { label: "hello", command: "echo hello", key: "hello" });
    assert.equal(await stackStates(id), "accepted");
    assert.deepEqual(standin.job(id)?.history.map((h) => h.state), ["scheduled", "assigned", "accepted"]);

    assert.equal((await agent.start(id)).status, 200);
    assert.equal(await stackStates(id), "running");
    assert.deepEqual((await agent.state(id)).body, { id, state: "running" });
    assert.equal((await agent.chunk(id, 1, 0, "hello\n")).status, 201);
    assert.equal((await agent.finish(id, { exit_status: "0" })).status, 200);
    assert.equal(await stackStates(id), "finished");
    const record = standin.jobRecord(id);
    assert.equal(record.state, "finished");
    assert.equal(record.exit_status, "0");
    assert.equal(record.finish_count, 1);
    assert.equal(record.finished_by, "agent");
    assert.equal(record.agent?.name, "pod-1");
    assert.equal(standin.jobLog(id), "hello\n");
    assert.deepEqual(record.log.problems, []);
  });

  it("accepts the job's calls with the job token and with the agent's access token, but not with another job's token", async () => {
    const [a, b] = standin.enqueueBuild([{ command: "a" }, { command: "b" }]) as [string, string];
    await agent.register();
    await agent.acquire(a);
    await agent.acquire(b);
    const tokenA = agent.jobTokens.get(a) ?? "";
    assert.equal((await agent.request("PUT", `/jobs/${a}/start`, { json: {}, token: tokenA })).status, 200);
    assert.equal((await agent.request("PUT", `/jobs/${b}/start`, { json: {} })).status, 200, "access token");
    assert.equal((await agent.request("GET", `/jobs/${b}`, { token: tokenA })).status, 401);
    assert.equal((await agent.request("GET", `/jobs/${a}`, { token: standin.token })).status, 401, "the cluster token is not an access token");
    assert.equal((await agent.request("GET", "/jobs/00000000-0000-4000-8000-000000000000")).status, 404);
  });
});
