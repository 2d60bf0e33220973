// Retries: 429 + Retry-After (waited for real), 5xx with backoff, timeouts,
// dropped connections, and the bounds on all of them.
import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { isRetryableError, StacksApiError, StacksTransportError } from "../../../dispatcher/api/index.ts";
import { QUEUE, rejection, STACK_KEY, startHarness } from "./helpers.ts";
import type { Harness } from "./helpers.ts";

describe("stacks client ↔ stand-in: retries", function () {
  this.timeout(15_000);
  let h: Harness;
  let id: string;
  beforeEach(async () => {
    h = await startHarness();
    await h.register();
    id = h.standin.enqueue({ command: "true", agents: { queue: QUEUE } });
  });
  afterEach(() => h.stop());

  it("waits out Retry-After on a rate-limit 429, then succeeds", async () => {
    h.standin.setRateLimits({ "list-scheduled-jobs": 1 });
    await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE });
    const started = performance.now();
    const res = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE }, { maxAttempts: 3 });
    const waited = performance.now() - started;
    assert.equal(res.status, 200);
    assert.ok(res.attempts >= 2);
    assert.ok(waited >= 950, `waited only ${waited.toFixed(0)} ms`);
    const limited = h.standin.calls("listScheduledJobs")[1];
    assert.equal(limited?.status, 429);
    assert.deepEqual(limited?.faults, ["rate-limited"]);
    assert.deepEqual(limited?.responseBody, {
      message: "You have exceeded your API rate limit. Please wait 1 seconds before making more requests.",
      scope: "list-scheduled-jobs", limit: 1, current: 2, reset: 1,
    });
  });

  it("honours Retry-After on an injected 429 even though backoff would be shorter", async () => {
    h.standin.failNext({ endpoint: "getJob", status: 429, retryAfterSeconds: 1 });
    const started = performance.now();
    const res = await h.client.getJob(STACK_KEY, id);
    const waited = performance.now() - started;
    assert.equal(res.attempts, 2);
    assert.ok(waited >= 990, `waited only ${waited.toFixed(0)} ms`);
    const [first, second] = h.standin.calls("getJob");
    assert.ok(first && second);
    assert.ok(second.wallAt - first.wallAt >= 990);
  });

  it("surfaces a 429 with its Retry-After when attempts run out", async () => {
    h.standin.failNext({ endpoint: "listScheduledJobs", status: 429, retryAfterSeconds: 7 });
    const err = await rejection(() => h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE }));
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 429);
    assert.equal(err.retryAfterMs, 7000);
    assert.equal(err.permanent, false);
    assert.equal(err.attempts, 1, "listing makes one attempt by default (the poll loop retries)");
  });

  it("does not wait a Retry-After longer than the policy allows", async () => {
    const impatient = h.makeClient({ retry: { maxRetryAfterMs: 500 } });
    h.standin.failNext({ endpoint: "getJob", status: 503, retryAfterSeconds: 30 });
    const started = performance.now();
    const err = await rejection(() => impatient.getJob(STACK_KEY, id));
    assert.ok(performance.now() - started < 1000);
    assert.ok(err instanceof StacksApiError && err.status === 503 && err.attempts === 1);
  });

  it("retries 5xx with backoff until it succeeds", async () => {
    h.standin.failNext({ endpoint: "finishJob", status: 503, times: 2 });
    const res = await h.client.finishJob(STACK_KEY, id, { detail: "gave up" });
    assert.equal(res.attempts, 3);
    assert.deepEqual(h.standin.calls("finishJob").map((c) => c.status), [503, 503, 200]);
    assert.equal(h.standin.job(id)?.state, "finished");
  });

  it("gives up on 5xx after the bounded number of attempts", async () => {
    h.standin.failNext({ endpoint: "getJobStates", status: 500, message: "boom", times: 10 });
    const err = await rejection(() => h.client.getJobStates(STACK_KEY, [id], { maxAttempts: 3 }));
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 500);
    assert.equal(err.apiMessage, "boom");
    assert.equal(err.attempts, 3);
    assert.equal(h.standin.calls("getJobStates").length, 3);
  });

  it("backs off exponentially between 5xx attempts", async () => {
    const slow = h.makeClient({ retry: { baseDelayMs: 100, maxDelayMs: 1000, jitterMs: 0 } });
    h.standin.failNext({ endpoint: "getJob", status: 502, times: 2 });
    await slow.getJob(STACK_KEY, id);
    const [a, b, c] = h.standin.calls("getJob").map((call) => call.wallAt);
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    assert.ok(b - a >= 95, `first gap ${b - a}`);
    assert.ok(c - b >= 195, `second gap ${c - b}`);
  });

  it("times out a slow answer, and retries it", async () => {
    const hasty = h.makeClient({ timeoutMs: 100 });
    h.standin.failNext({ endpoint: "getJob", latencyMs: 400 });
    const res = await hasty.getJob(STACK_KEY, id);
    assert.equal(res.attempts, 2);
    h.standin.failNext({ endpoint: "getJob", latencyMs: 400 });
    const err = await rejection(() => hasty.getJob(STACK_KEY, id, { maxAttempts: 1 }));
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.code, "ETIMEDOUT");
    assert.equal(err.permanent, false);
  });

  it("retries a dropped connection, and reports it when attempts run out", async () => {
    h.standin.failNext({ endpoint: "getJobStates", drop: "before" });
    const res = await h.client.getJobStates(STACK_KEY, [id]);
    assert.equal(res.attempts, 2);
    assert.deepEqual(res.body.states, { [id]: "scheduled" });
    h.standin.failNext({ endpoint: "getJobStates", drop: "before", times: 2 });
    const err = await rejection(() => h.client.getJobStates(STACK_KEY, [id], { maxAttempts: 2 }));
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.attempts, 2);
    assert.match(err.code, /^E/);
  });

  it("stops at once when the caller aborts, even while waiting to retry", async () => {
    h.standin.failNext({ endpoint: "getJob", status: 503, retryAfterSeconds: 5 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const err = await rejection(() => h.client.getJob(STACK_KEY, id, { signal: controller.signal }));
    assert.ok(performance.now() - started < 1000);
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.code, "ERR_ABORTED");
    assert.equal(isRetryableError(err), false);
  });

  it("reports a refused connection as a transport error", async () => {
    const url = h.standin.url;
    await h.stop();
    const orphan = h.makeClient({ endpoint: url });
    const err = await rejection(() => orphan.getTokenIdentity({ maxAttempts: 2 }));
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.code, "ECONNREFUSED");
    assert.equal(err.attempts, 2);
    h = await startHarness(); // for afterEach
  });
});
