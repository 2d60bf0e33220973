// Transport edge cases that need a raw TLS socket: a client that goes away mid-body, and a
// body that never ends (controller-runtime's "infinite body" case). Both must leave exactly
// one audit line and a server that keeps serving.
import assert from "node:assert/strict";
import { connect } from "node:tls";
import type { TLSSocket } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { auditLines, jobReview, postReview, removeTempDirs, startTestWebhook, testCa } from "./helpers.ts";
import type { TestWebhook } from "./helpers.ts";

function open(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca: testCa().cert }, () => resolve(socket));
    socket.on("error", reject);
  });
}

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(20);
  }
}

describe("webhook transport edge cases", function () {
  this.timeout(30_000);
  let test: TestWebhook;
  before(async () => {
    test = await startTestWebhook({ maxBodyBytes: 64 * 1024 });
  });
  after(async () => {
    await test.webhook.close();
    removeTempDirs();
  });

  it("a client that disconnects mid-body is logged once as aborted", async () => {
    const socket = await open(test.webhook.port);
    socket.write("POST /mutate/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"apiVersion\":");
    await sleep(100);
    socket.destroy();
    await waitFor(() => auditLines(test.log).some((l) => l["reason"] === "aborted"));
    assert.equal(auditLines(test.log).filter((l) => l["reason"] === "aborted").length, 1);
    assert.equal((await postReview(test.webhook.url, jobReview({ operation: "UPDATE" }))).status, 200);
  });

  it("a body that never ends gets a 413 answer and a closed connection", async () => {
    const socket = await open(test.webhook.port);
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("latin1")));
    socket.on("error", () => undefined); // the server may reset a socket we are still writing to
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write("POST /mutate/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    const chunk = `4000\r\n${" ".repeat(0x4000)}\r\n`;
    let sent = 0;
    while (!socket.destroyed && received === "" && sent < 64 * 1024 * 1024) {
      if (!socket.write(chunk)) await new Promise((resolve) => setTimeout(resolve, 1));
      sent += 0x4000;
    }
    await closed;
    assert.ok(sent < 64 * 1024 * 1024, "the server stopped reading long before 64 MiB");
    assert.match(received, /^HTTP\/1\.1 413 /);
    assert.match(received, /connection: close/i);
    assert.match(received, /"message":"request entity is too large; limit is 65536 bytes"/);
    assert.equal((await postReview(test.webhook.url, jobReview({ operation: "UPDATE" }))).status, 200);
  });
});
