// Acquire's 423 and 422, finish at most once, and cancels and timeouts as the agent
// meets them: a user cancel of a running job is `canceling` until the agent
// finishes it, then `canceled`, with the agent's signal_reason kept.
import assert from "node:assert/strict";
import { AgentApiClient } from "../../standin/agent-client.ts";
import { ManualClock } from "../../standin/clock.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";

describe("stand-in Agent API: job states, acquire refusals, finish", () => {
  let standin: StandinHandle;
  let agent: AgentApiClient;
  let id: string;
  beforeEach(async () => {
    standin = await startStandin({ clock: new ManualClock(Date.now()), rateLimits: false });
    agent = new AgentApiClient(standin.url, standin.token);
    await agent.register({ name: "first" });
    id = standin.enqueue({ command: "sleep 100", agents: { queue: "kubernetes" } });
  });
  afterEach(() => standin.stop());

  const running = async () => {
    assert.equal((await agent.acquire(id)).status, 200);
    assert.equal((await agent.start(id)).status, 200);
  };

  it("answers 423 with Retry-After while the job is locked, and 200 once it is scheduled", async () => {
    for (const locked of ["waiting", "blocked", "pending", "limited"] as const) {
      standin.forceState(id, locked);
      const res = await agent.acquire(id);
      assert.equal(res.status, 423, locked);
      assert.equal(res.headers.get("retry-after"), "2");
    }
    standin.forceState(id, "scheduled");
    assert.equal((await agent.acquire(id, 4)).status, 200);
    const [last] = standin.calls("agentAcquireJob").slice(-1);
    assert.equal(last?.status, 200);
  });

  it("acquires a job a stack reserved, and clears the reservation", async () => {
    await fetch(`${standin.url}/stacks/register`, {
      method: "POST", headers: { authorization: `Token ${standin.token}`, "content-type": "application/json" },
      body: JSON.stringify({ key: "s1", type: "custom", queue_key: "kubernetes", metadata: {} }),
    });
    await fetch(`${standin.url}/stacks/s1/scheduled-jobs/batch-reserve`, {
      method: "PUT", headers: { authorization: `Token ${standin.token}`, "content-type": "application/json" }, body: JSON.stringify({ job_uuids: [id] }),
    });
    assert.equal(standin.job(id)?.state, "reserved");
    assert.equal((await agent.acquire(id)).status, 200);
    assert.equal(standin.job(id)?.state, "accepted");
    assert.equal(standin.job(id)?.reservation, null);
  });

  it("answers 422 when the job cannot be acquired: held by another agent, finished, canceled", async () => {
    assert.equal((await agent.acquire(id)).status, 200);
    assert.equal((await agent.acquire(id)).status, 200, "the same agent again (a retry whose answer was lost) gets the job again");
    const other = new AgentApiClient(standin.url, standin.token);
    await other.register({ name: "second" });
    const taken = await other.acquire(id);
    assert.equal(taken.status, 422);
    assert.match(String((taken.body as { message: string }).message), /accepted by agent first/);
    await agent.start(id);
    assert.equal((await agent.acquire(id)).status, 422, "not once it runs");
    await agent.finish(id, { exit_status: "0" });
    assert.equal((await other.acquire(id)).status, 422);
    const canceled = standin.enqueue({ command: "true" });
    standin.cancel(canceled);
    assert.equal((await other.acquire(canceled)).status, 422);
    assert.equal((await other.acquire("00000000-0000-4000-8000-000000000000")).status, 404);
  });

  it("accepts finish at most once, with exit_status as a string", async () => {
    await running();
    const numeric = await agent.finish(id, { exit_status: 3 });
    assert.equal(numeric.status, 422, "a number is not what the agent sends");
    assert.equal(standin.job(id)?.state, "running");
    assert.equal((await agent.finish(id, { exit_status: "3" })).status, 200);
    assert.equal((await agent.finish(id, { exit_status: "3" })).status, 422, "a second finish is refused");
    const record = standin.jobRecord(id);
    assert.equal(record.state, "finished");
    assert.equal(record.exit_status, "3");
    assert.equal(record.finish_count, 1);
    assert.deepEqual(record.finish_attempts.map((a) => a.accepted), [false, true, false]);
    assert.equal(standin.job(id)?.finish?.exitStatus, 3);
  });

  it("refuses start and finish from an agent that does not hold the job", async () => {
    await running();
    const other = new AgentApiClient(standin.url, standin.token);
    await other.register({ name: "second" });
    assert.equal((await other.start(id)).status, 422);
    assert.equal((await other.finish(id, { exit_status: "0" })).status, 422);
    assert.equal((await other.chunk(id, 1, 0, "x")).status, 422);
    assert.equal(standin.jobRecord(id).finish_count, 0);
  });

  it("cancels a running job: canceling on the job-state poll and the stacks API, canceled once the agent finishes, signal_reason kept", async () => {
    await running();
    standin.cancel(id);
    assert.equal((await agent.state(id)).body.state, "canceling");
    assert.equal((await agent.finish(id, { exit_status: "-1", signal: "SIGTERM", signal_reason: "cancel" })).status, 200);
    const record = standin.jobRecord(id);
    assert.equal(record.state, "canceled");
    assert.equal(record.exit_status, "-1");
    assert.equal(record.signal, "SIGTERM");
    assert.equal(record.signal_reason, "cancel");
    assert.equal(record.finish_count, 1);
    assert.deepEqual(record.history.map((h) => h.state), ["scheduled", "assigned", "accepted", "running", "canceling", "canceled"]);
    assert.equal((await agent.state(id)).body.state, "canceled");
  });

  it("keeps a job cancelled between acquire and start canceling when the agent starts it", async () => {
    await agent.acquire(id);
    standin.cancel(id);
    assert.equal((await agent.start(id)).status, 200);
    assert.equal(standin.job(id)?.state, "canceling");
    await agent.finish(id, { exit_status: "-1", signal_reason: "cancel" });
    assert.equal(standin.job(id)?.state, "canceled");
  });

  it("ends a timing_out job timed_out when the agent finishes it", async () => {
    await running();
    standin.forceState(id, "timing_out");
    assert.equal((await agent.state(id)).body.state, "timing_out");
    await agent.finish(id, { exit_status: "-1", signal_reason: "agent_stop" });
    assert.equal(standin.job(id)?.state, "timed_out");
  });

  it("refuses the agent's finish after a stack finished the job, and counts one finish", async () => {
    await running();
    await fetch(`${standin.url}/stacks/register`, {
      method: "POST", headers: { authorization: `Token ${standin.token}`, "content-type": "application/json" },
      body: JSON.stringify({ key: "s1", type: "custom", queue_key: "kubernetes", metadata: {} }),
    });
    const stackFinish = await fetch(`${standin.url}/stacks/s1/jobs/${id}/finish`, {
      method: "POST", headers: { authorization: `Token ${standin.token}`, "content-type": "application/json" }, body: JSON.stringify({ exit_status: 1, detail: "pod failed" }),
    });
    assert.equal(stackFinish.status, 200);
    assert.equal((await agent.finish(id, { exit_status: "0" })).status, 422);
    const record = standin.jobRecord(id);
    assert.equal(record.finish_count, 1);
    assert.equal(record.finished_by, "stack");
    assert.equal(record.exit_status, "1");
  });
});
