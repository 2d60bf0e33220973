// The stand-in's job state machine and test controls, seen through the client;
// notification limits; rate-limit headers; the /_standin HTTP controls.
import assert from "node:assert/strict";
import { QUEUE, rawRequest, STACK_KEY, startHarness } from "./helpers.ts";
import type { Harness } from "./helpers.ts";

describe("stand-in: job lifecycle and limits", () => {
  let h: Harness;
  let id: string;
  beforeEach(async () => {
    h = await startHarness();
    await h.register();
    id = h.standin.enqueue({ command: "true", agents: { queue: QUEUE } });
  });
  afterEach(() => h.stop());

  const state = async (uuid = id) => (await h.client.getJobStates(STACK_KEY, [uuid])).body.states[uuid];

  it("moves scheduled → reserved → assigned → accepted → running → finished", async () => {
    const seen = [await state()];
    await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id] });
    seen.push(await state());
    for (const move of [h.standin.acquire, h.standin.accept, h.standin.start]) {
      move(id);
      seen.push(await state());
    }
    h.standin.complete(id, 0);
    seen.push(await state());
    assert.deepEqual(seen, ["scheduled", "reserved", "assigned", "accepted", "running", "finished"]);
    assert.deepEqual(h.standin.job(id)?.finish, { by: "agent", exitStatus: 0, detail: null, at: h.clock.now() });
  });

  it("cancels a job no agent holds straight to canceled", async () => {
    await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id] });
    h.standin.cancel(id);
    assert.equal(await state(), "canceled");
  });

  it("cancels a running job through canceling", async () => {
    h.standin.acquire(id);
    h.standin.start(id);
    h.standin.cancel(id);
    assert.equal(await state(), "canceling");
    h.standin.markCanceled(id);
    assert.equal(await state(), "canceled");
    const other = h.standin.enqueue({ command: "true", agents: { queue: QUEUE } });
    h.standin.acquire(other);
    h.standin.cancel(other);
    h.standin.complete(other, 130);
    assert.equal(await state(other), "canceled", "an agent stopping after cancel ends canceled");
  });

  it("refuses moves Buildkite would not make", () => {
    assert.throws(() => h.standin.start(id), /cannot go scheduled → running/);
    h.standin.cancel(id);
    assert.throws(() => h.standin.acquire(id), /cannot go canceled → assigned/);
    h.standin.forceState(id, "timing_out");
    assert.equal(h.standin.job(id)?.state, "timing_out");
  });

  it("keeps at most 100 notifications per job and rejects the documented cases", async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ job_uuid: id, detail: `note ${i}` }));
    const res = await h.client.createNotifications(STACK_KEY, many);
    assert.deepEqual(res.body.errors, [{ error: "job stack notification count exceeded", indexes: [100] }]);
    const fresh = h.standin.enqueue({ command: "true" });
    const future = new Date(h.clock.now() + 60_000).toISOString();
    const before = new Date(h.clock.now() - 60_000).toISOString();
    const mixed = await h.client.createNotifications(STACK_KEY, [
      { job_uuid: fresh, detail: "ok" },
      { job_uuid: fresh, detail: "later", timestamp: future },
      { job_uuid: fresh, detail: "earlier", timestamp: before },
      { job_uuid: "no-such-job", detail: "who" },
    ]);
    assert.deepEqual(mixed.body.errors.map((e) => e.indexes), [[1], [2], [3]]);
    const tooLong = await rawRequest(h.standin, "POST", `/stacks/${STACK_KEY}/notifications`, JSON.stringify({ notifications: [{ job_uuid: fresh, detail: "x".repeat(257) }] }));
    assert.deepEqual(await tooLong.json(), { errors: [{ error: "detail is too long (maximum is 256 characters)", indexes: [0] }] });
    const overLimit = await rawRequest(h.standin, "POST", `/stacks/${STACK_KEY}/notifications`, JSON.stringify({ notifications: Array.from({ length: 1001 }, () => ({ job_uuid: fresh, detail: "x" })) }));
    assert.equal(overLimit.status, 422);
  });

  it("refuses notifications for a job finished more than 300 s ago", async () => {
    await h.client.finishJob(STACK_KEY, id, { detail: "done" });
    h.clock.advance(300_000);
    assert.deepEqual((await h.client.createNotifications(STACK_KEY, [{ job_uuid: id, detail: "still ok" }])).body.errors, []);
    h.clock.advance(1);
    const late = await h.client.createNotifications(STACK_KEY, [{ job_uuid: id, detail: "too late" }]);
    assert.deepEqual(late.body.errors, [{ error: "job finished more than 300 seconds ago", indexes: [0] }]);
  });

  it("sends the documented RateLimit-* headers when limits are on", async () => {
    h.standin.setRateLimits({});
    const res = await rawRequest(h.standin, "GET", `/stacks/${STACK_KEY}/scheduled-jobs?queue_key=${QUEUE}`);
    assert.equal(res.headers.get("ratelimit-scope"), "list-scheduled-jobs");
    assert.equal(res.headers.get("ratelimit-limit"), "10");
    assert.equal(res.headers.get("ratelimit-remaining"), "9");
    assert.equal(res.headers.get("ratelimit-reset"), "1");
    const limits: Record<string, string> = {};
    for (let i = 0; i < 11; i++) {
      const r = await rawRequest(h.standin, "POST", `/stacks/${STACK_KEY}/jobs/get-states`, JSON.stringify({ job_uuids: [] }));
      limits[String(r.status)] = r.headers.get("retry-after") ?? "";
    }
    assert.deepEqual(limits, { 200: "" }, "get-states allows 20/s");
  });

  it("offers the same controls over HTTP under /_standin", async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${h.standin.origin}/_standin${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const created = (await (await post("/builds", { steps: [{ command: "echo hi", agents: { queue: QUEUE } }] })).json()) as { ids: string[] };
    const newId = created.ids[0] ?? "";
    assert.equal((await post(`/jobs/${newId}/acquire`, {})).status, 200);
    assert.equal((await post(`/jobs/${newId}/start`, {})).status, 200);
    const done = (await (await post(`/jobs/${newId}/complete`, { exit_status: 1 })).json()) as { state: string; finish: { exitStatus: number } };
    assert.equal(done.state, "finished");
    assert.equal(done.finish.exitStatus, 1);
    assert.equal((await post(`/jobs/${newId}/start`, {})).status, 409);
    const pause = await fetch(`${h.standin.origin}/_standin/queues/${QUEUE}/paused`, { method: "PUT", headers: { "content-type": "application/json" }, body: "{\"paused\":true}" });
    assert.equal(pause.status, 200);
    const list = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE });
    assert.equal(list.body.cluster_queue.dispatch_paused, true);
    assert.equal(h.standin.calls().filter((c) => c.path.startsWith("/_standin")).length, 0, "controls are not recorded");
  });
});
