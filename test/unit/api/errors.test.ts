// Error answers: 401, 404, 422, 400, `{"message"}` bodies, finish at most once,
// and permanent 4xx surfacing at once (no retries).
import assert from "node:assert/strict";
import { isPermanentError, isRetryableError, StacksApiError } from "../../../dispatcher/api/index.ts";
import { QUEUE, rawRequest, rejection, STACK_KEY, startHarness } from "./helpers.ts";
import type { Harness } from "./helpers.ts";

describe("stacks client ↔ stand-in: errors", () => {
  let h: Harness;
  let id: string;
  beforeEach(async () => {
    h = await startHarness();
    await h.register();
    id = h.standin.enqueue({ command: "true", agents: { queue: QUEUE } });
  });
  afterEach(() => h.stop());

  it("401 for a wrong token, as a permanent typed error, tried once", async () => {
    const intruder = h.makeClient({ token: "bkct_wrong", maxAttempts: { getJob: 5 } });
    const err = await rejection(() => intruder.getJob(STACK_KEY, id));
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 401);
    assert.equal(err.endpoint, "getJob");
    assert.equal(err.apiMessage, "Invalid or missing agent token");
    assert.deepEqual(err.body, { message: "Invalid or missing agent token" });
    assert.equal(err.attempts, 1);
    assert.ok(isPermanentError(err));
    assert.ok(!isRetryableError(err));
    assert.equal(h.standin.calls("getJob").length, 1);
  });

  it("401 when the Authorization header is missing or uses another scheme", async () => {
    const none = await fetch(`${h.standin.url}/token`);
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), { message: "Invalid or missing agent token" });
    const bearer = await fetch(`${h.standin.url}/token`, { headers: { authorization: `Bearer ${h.standin.token}` } });
    assert.equal(bearer.status, 401);
  });

  it("404 for an unknown job (not retried, even with attempts to spare)", async () => {
    const err = await rejection(() => h.client.getJob(STACK_KEY, "3b5e8a36-0000-4000-8000-000000000000", { maxAttempts: 5 }));
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 404);
    assert.equal(err.apiMessage, "Job not found");
    assert.equal(h.standin.calls("getJob").length, 1);
    const finish = await rejection(() => h.client.finishJob(STACK_KEY, "3b5e8a36-0000-4000-8000-000000000000", { detail: "x" }));
    assert.ok(finish instanceof StacksApiError && finish.status === 404);
  });

  it("404 for calls under a deregistered stack", async () => {
    await h.client.deregisterStack(STACK_KEY);
    const err = await rejection(() => h.client.getJobStates(STACK_KEY, [id]));
    assert.ok(err instanceof StacksApiError && err.status === 404);
  });

  it("finishes a job at most once: the second finish is a permanent 422", async () => {
    await h.client.finishJob(STACK_KEY, id, { exit_status: -1, detail: "first" });
    const err = await rejection(() => h.client.finishJob(STACK_KEY, id, { exit_status: -1, detail: "second" }));
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 422);
    assert.ok(err.permanent);
    assert.equal(h.standin.calls("finishJob").length, 2, "a 422 is not retried");
    assert.equal(h.standin.job(id)?.finish?.detail, "first");
  });

  it("422 for finishing a job that already ended, or a detail over 4 KB", async () => {
    h.standin.acquire(id);
    h.standin.start(id);
    h.standin.complete(id, 0);
    const ended = await rejection(() => h.client.finishJob(STACK_KEY, id, { detail: "too late" }));
    assert.ok(ended instanceof StacksApiError && ended.status === 422);
    const other = h.standin.enqueue({ command: "true", agents: { queue: QUEUE } });
    // The client crops; send what it never would.
    const res = await rawRequest(h.standin, "POST", `/stacks/${STACK_KEY}/jobs/${other}/finish`, JSON.stringify({ detail: "x".repeat(4097) }));
    assert.equal(res.status, 422);
    assert.match(((await res.json()) as { message: string }).message, /4096 bytes/);
    const exact = await rawRequest(h.standin, "POST", `/stacks/${STACK_KEY}/jobs/${other}/finish`, JSON.stringify({ detail: "x".repeat(4096) }));
    assert.equal(exact.status, 200);
    assert.equal(h.standin.job(other)?.finish?.exitStatus, -1, "exit_status defaults to -1");
  });

  it("422 for invalid registrations, 403 past the stack limit", async () => {
    const cases = [
      { key: "has.dot", type: "custom", queue_key: QUEUE, metadata: {} },
      { key: "k".repeat(81), type: "custom", queue_key: QUEUE, metadata: {} },
      { key: "ok", type: "serverless", queue_key: QUEUE, metadata: {} },
      { key: "ok", type: "custom", queue_key: "", metadata: {} },
      { key: "ok", type: "custom", queue_key: QUEUE, metadata: { v: "x".repeat(257) } },
    ];
    for (const body of cases) {
      const res = await rawRequest(h.standin, "POST", "/stacks/register", JSON.stringify(body));
      assert.equal(res.status, 422, JSON.stringify(body).slice(0, 80));
      assert.equal(typeof ((await res.json()) as { message: unknown }).message, "string");
    }
    const small = await startHarness({ maxStacks: 1 });
    try {
      await small.register();
      const err = await rejection(() => small.client.registerStack({ key: "second", type: "custom", queue_key: QUEUE, metadata: {} }));
      assert.ok(err instanceof StacksApiError && err.status === 403);
    } finally {
      await small.stop();
    }
  });

  it("400 for a body that is not JSON or has the wrong shape; 404 for an unknown path", async () => {
    const notJson = await rawRequest(h.standin, "POST", `/stacks/${STACK_KEY}/jobs/get-states`, "{nope");
    assert.equal(notJson.status, 400);
    const wrongShape = await rawRequest(h.standin, "POST", `/stacks/${STACK_KEY}/jobs/get-states`, JSON.stringify({ job_uuids: "x" }));
    assert.equal(wrongShape.status, 400);
    const unknown = await rawRequest(h.standin, "GET", "/stacks");
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { message: "Not Found" });
    const recorded = h.standin.calls().at(-1);
    assert.equal(recorded?.endpoint, null);
    assert.equal(recorded?.status, 404);
    const postReserve = await rawRequest(h.standin, "POST", `/stacks/${STACK_KEY}/scheduled-jobs/batch-reserve`, JSON.stringify({ job_uuids: [id] }));
    assert.equal(postReserve.status, 404, "batch-reserve is PUT only");
  });
});
