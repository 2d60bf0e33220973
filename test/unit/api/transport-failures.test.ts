// The stacks client's HTTP when an answer goes wrong in ways the stand-in cannot stage: a body
// cut short, a body that stalls after its headers, Retry-After as a date, callers' signals.
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import type { ServerResponse } from "node:http";
import { StacksApiError, StacksClient, StacksTransportError } from "../../../dispatcher/api/index.ts";
import type { StacksClientOptions } from "../../../dispatcher/api/index.ts";
import { rejection } from "./helpers.ts";
import { json, startScripted } from "./scripted-server.ts";
import type { ScriptedServer } from "./scripted-server.ts";

const ID = "3b5e8a36-0000-4000-8000-000000000000";

/** Headers and the start of a body, then the connection closes. */
function cutShort(res: ServerResponse, framing: "length" | "chunked"): void {
  res.writeHead(200, { "content-type": "application/json", ...(framing === "length" ? { "content-length": 100 } : {}) });
  res.write('{"id":"');
  setTimeout(() => res.socket?.destroy(), 20);
}

describe("stacks client HTTP: failures", function () {
  this.timeout(10_000);
  let server: ScriptedServer;
  const makeClient = (opts: Partial<StacksClientOptions> = {}) =>
    new StacksClient({ endpoint: server.url, token: "bkct_test", timeoutMs: 2000, retry: { baseDelayMs: 10, maxDelayMs: 20, jitterMs: 0 }, ...opts });
  beforeEach(async () => {
    server = await startScripted();
  });
  afterEach(() => server.stop());

  for (const framing of ["length", "chunked"] as const) {
    it(`reports a body cut short (${framing === "length" ? "Content-Length" : "chunked"}) as a reset, and retries it`, async () => {
      server.answer((_req, res, i) => (i === 0 ? cutShort(res, framing) : json(res, 200, { id: ID })));
      const res = await makeClient().getJob("stack", ID);
      assert.equal(res.attempts, 2);
      assert.deepEqual(res.body, { id: ID });
      server.answer((_req, res) => cutShort(res, framing));
      const err = await rejection(() => makeClient().getJob("stack", ID, { maxAttempts: 1 }));
      assert.ok(err instanceof StacksTransportError);
      assert.equal(err.code, "ECONNRESET");
      assert.equal(err.message, "getJob: ECONNRESET: The server aborted pending request");
    });
  }

  it("times out a body that stalls after its headers, and retries it", async () => {
    server.answer((_req, res, i) => {
      if (i > 0) return json(res, 200, { id: ID });
      res.writeHead(200, { "content-type": "application/json", "content-length": 100 });
      res.write('{"id":');
    });
    const started = performance.now();
    const hasty = makeClient({ timeoutMs: 200 });
    const res = await hasty.getJob("stack", ID);
    assert.equal(res.attempts, 2);
    assert.ok(performance.now() - started < 1500);
    server.answer((_req, res) => {
      res.writeHead(200, { "content-length": 100 });
      res.write("{");
    });
    const err = await rejection(() => hasty.getJob("stack", ID, { maxAttempts: 1 }));
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.code, "ETIMEDOUT");
    assert.equal(err.message, "getJob: ETIMEDOUT: Timeout awaiting 'request' for 200ms");
  });

  it("waits a Retry-After given as an HTTP-date", async () => {
    server.answer((_req, res, i) => (i === 0
      ? json(res, 503, { message: "later" }, { "retry-after": new Date(Date.now() + 2000).toUTCString() })
      : json(res, 200, { id: ID })));
    const res = await makeClient().getJob("stack", ID);
    assert.equal(res.attempts, 2);
    const [first, second] = server.requests;
    assert.ok(first && second);
    // The date has whole seconds: 1 to 2 s away. The backoff alone would be 10 ms.
    assert.ok(second.at - first.at >= 900, `retried after ${(second.at - first.at).toFixed(0)} ms`);
  });

  it("gives up on a date Retry-After beyond the longest wait, with the answer", async () => {
    server.answer((_req, res) => json(res, 429, { message: "slow down" }, { "retry-after": new Date(Date.now() + 120_000).toUTCString() }));
    const err = await rejection(() => makeClient().getJob("stack", ID));
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 429);
    assert.equal(err.retryAfterMs, 0, "errors report Retry-After in whole seconds only");
    assert.equal(server.requests.length, 1);
  });

  it("sends nothing for a signal already aborted", async () => {
    const err = await rejection(() => makeClient().getJob("stack", ID, { signal: AbortSignal.abort() }));
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.code, "ERR_ABORTED");
    assert.equal(err.message, "getJob: ERR_ABORTED: This operation was aborted.");
    assert.equal(server.requests.length, 0);
  });

  it("reports a timeout signal as ETIMEDOUT and does not retry it", async () => {
    server.answer(() => undefined); // never answers
    const started = performance.now();
    const err = await rejection(() => makeClient().getJob("stack", ID, { maxAttempts: 5, signal: AbortSignal.timeout(150) }));
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.code, "ETIMEDOUT");
    assert.equal(err.attempts, 1);
    assert.ok(performance.now() - started < 1500);
    assert.equal(server.requests.length, 1);
  });

  it("leaves no listener on a long-lived signal, answered, failed or retried", async () => {
    const controller = new AbortController();
    const client = makeClient();
    server.answer((_req, res, i) => (i % 3 === 0 ? json(res, 503, { message: "again" }) : json(res, 200, { id: ID })));
    for (let i = 0; i < 12; i++) await client.getJob("stack", ID, { signal: controller.signal });
    server.answer((_req, res) => json(res, 404, { message: "Job not found" }));
    await rejection(() => client.getJob("stack", ID, { signal: controller.signal }));
    assert.equal(getEventListeners(controller.signal, "abort").length, 0);
  });
});
