// The stacks client's HTTP, answers the stand-in never gives: compressed bodies, bodies that
// are not JSON, redirects; and what it sends: a sized JSON body, over kept-alive connections.
import assert from "node:assert/strict";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync, zstdCompressSync } from "node:zlib";
import { StacksApiError, StacksClient, StacksTransportError } from "../../../dispatcher/api/index.ts";
import type { StacksClientOptions } from "../../../dispatcher/api/index.ts";
import { rejection } from "./helpers.ts";
import { json, startScripted } from "./scripted-server.ts";
import type { ScriptedServer } from "./scripted-server.ts";

const JOB = { id: "3b5e8a36-0000-4000-8000-000000000000", command: "make", env: { A: "é€" } };

describe("stacks client HTTP: answers and requests", () => {
  let server: ScriptedServer;
  let client: StacksClient;
  const makeClient = (opts: Partial<StacksClientOptions> = {}) =>
    new StacksClient({ endpoint: server.url, token: "bkct_test", timeoutMs: 2000, retry: { baseDelayMs: 10, maxDelayMs: 20, jitterMs: 0 }, ...opts });
  beforeEach(async () => {
    server = await startScripted();
    client = makeClient();
  });
  afterEach(() => server.stop());

  it("asks for compressed answers and decodes gzip, deflate (raw and zlib), br, zstd and stacked codings", async () => {
    const text = Buffer.from(JSON.stringify(JOB));
    const encoded: [string, Buffer][] = [
      ["gzip", gzipSync(text)], ["x-gzip", gzipSync(text)], ["deflate", deflateSync(text)], ["deflate", deflateRawSync(text)],
      ["br", brotliCompressSync(text)], ["zstd", zstdCompressSync(text)], ["gzip, br", brotliCompressSync(gzipSync(text))],
      ["identity", text],
    ];
    for (const [coding, body] of encoded) {
      server.answer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-encoding": coding, "content-length": body.length });
        res.end(body);
      });
      assert.deepEqual((await client.getJob("stack", JOB.id)).body, JOB, coding);
    }
    assert.equal(server.requests[0]?.headers["accept-encoding"], "gzip, deflate, br, zstd");
  });

  it("reads a body under a coding it cannot decode as it came, and an empty compressed body as empty", async () => {
    server.answer((_req, res) => json(res, 200, JOB, { "content-encoding": "compress" }));
    assert.deepEqual((await client.getJob("stack", JOB.id)).body, JOB);
    server.answer((_req, res) => {
      res.writeHead(204, { "content-encoding": "gzip" });
      res.end();
    });
    assert.equal((await client.deregisterStack("stack")).body, null);
  });

  it("fails a body that does not decode as an unreadable answer, without retrying", async () => {
    server.answer((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": 8 });
      res.end("not gzip");
    });
    const err = await rejection(() => client.getJob("stack", JOB.id));
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.code, "ERR_READING_RESPONSE_STREAM");
    assert.equal(server.requests.length, 1);
  });

  it("fails a 2xx body that is not JSON with ERR_BODY_PARSE_FAILURE, once", async () => {
    server.answer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>maintenance</html>");
    });
    const err = await rejection(() => client.getJob("stack", JOB.id));
    assert.ok(err instanceof StacksTransportError);
    assert.equal(err.code, "ERR_BODY_PARSE_FAILURE");
    assert.equal(err.attempts, 1);
    assert.match(err.message, /response is not JSON: <html>maintenance/);
    assert.equal(server.requests.length, 1, "an unreadable 2xx is not retried");
  });

  it("keeps the text of an error answer that is not JSON as its message and body", async () => {
    server.answer((_req, res) => {
      res.writeHead(502, { "content-type": "text/html" });
      res.end("<h1>Bad Gateway</h1>");
    });
    const err = await rejection(() => client.getJob("stack", JOB.id, { maxAttempts: 2 }));
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 502);
    assert.equal(err.apiMessage, "<h1>Bad Gateway</h1>");
    assert.equal(err.body, "<h1>Bad Gateway</h1>");
    assert.equal(err.message, "getJob: HTTP 502: <h1>Bad Gateway</h1>");
    assert.equal(err.attempts, 2);
  });

  it("does not follow a redirect: a 3xx is the answer", async () => {
    server.answer((_req, res) => json(res, 302, { message: "moved" }, { location: "/elsewhere" }));
    const res = await client.getJob("stack", JOB.id);
    assert.equal(res.status, 302);
    assert.deepEqual(res.body, { message: "moved" });
    assert.deepEqual(server.requests.map((r) => r.path), [`/v3/stacks/stack/jobs/${JOB.id}`]);
  });

  it("sends a JSON body with its Content-Length, query parameters encoded, and reuses one connection", async () => {
    server.answer((_req, res) => json(res, 200, { reserved: [], not_reserved: [] }));
    await client.batchReserveJobs("stack", { job_uuids: ["a", "é"] });
    await client.listScheduledJobs("stack", { queueKey: "queue with space", after: "a&b" });
    await client.getJobStates("stack", ["a"]);
    const [reserve, list] = server.requests;
    assert.ok(reserve && list);
    const body = JSON.stringify({ job_uuids: ["a", "é"] });
    assert.equal(reserve.body, body);
    assert.equal(reserve.headers["content-length"], String(Buffer.byteLength(body)));
    assert.equal(reserve.headers["transfer-encoding"], undefined);
    assert.equal(list.path, "/v3/stacks/stack/scheduled-jobs?queue_key=queue+with+space&after=a%26b");
    assert.equal(server.connections(), 1, "calls one after another share a kept-alive connection");
  });
});
