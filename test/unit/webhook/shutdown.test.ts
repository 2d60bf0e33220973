// Graceful shutdown of the real `agentify webhook` process: SIGTERM (and SIGINT) during a slow
// review lets that review finish with a correct answer, readiness drops first, and the process
// exits 0. The slow review comes from the NODE_ENV=test-only delay hook in command.ts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { certDir, decodeAnswer, jobReview, postReview, removeTempDirs, send } from "./helpers.ts";

const MAIN = fileURLToPath(new URL("./fixtures/webhook-main.ts", import.meta.url));

interface Child {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  lines: Record<string, unknown>[];
  exited: Promise<number | null>;
}

async function startChild(delayMs: number, extraArgs: string[] = []): Promise<Child> {
  const args = [MAIN, "webhook", "--cert-dir", certDir(), "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0", ...extraArgs];
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, NODE_ENV: "test", AGENTIFY_TEST_ADMISSION_DELAY_MS: String(delayMs) },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  const exited = once(proc, "exit").then(([code]) => code as number | null);
  let stderr = "";
  proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout }).on("line", (text) => {
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      if (line["msg"] === "webhook listening") resolve(String(line["url"]));
    });
    void exited.then((code) => reject(new Error(`webhook exited with ${code} before listening: ${stderr}`)));
  });
  return { proc, url: await listening, lines, exited };
}

describe("webhook process: graceful shutdown", function () {
  this.timeout(30_000);
  after(removeTempDirs);

  it("SIGTERM during a slow review: readyz goes 503, the review completes, exit 0", async () => {
    const child = await startChild(2000, ["--shutdown-delay", "1"]);
    const started = Date.now();
    const inFlight = postReview(child.url, jobReview());
    await sleep(300);
    child.proc.kill("SIGTERM");
    await sleep(100);
    const ready = await send(child.url, undefined, { method: "GET", path: "/readyz", contentType: null });
    assert.equal(ready.status, 503);
    assert.equal(ready.text, "not ready: shutting down\n");
    const res = await inFlight;
    assert.ok(Date.now() - started >= 2000, "the review was held by the test hook");
    assert.equal(res.status, 200);
    const answer = decodeAnswer(res);
    assert.equal(answer.response.allowed, true);
    assert.equal(answer.response.patchType, "JSONPatch");
    assert.equal(await child.exited, 0);
    assert.ok(child.lines.some((l) => l["msg"] === "shutdown complete"));
    await assert.rejects(send(child.url, undefined, { method: "GET", path: "/healthz", contentType: null }), /ECONNREFUSED/);
  });

  it("SIGINT also drains (without the SIGTERM delay) and exits 0", async () => {
    const child = await startChild(800, ["--shutdown-delay", "30"]);
    const inFlight = postReview(child.url, jobReview({ operation: "UPDATE" }));
    await sleep(200);
    child.proc.kill("SIGINT");
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(decodeAnswer(res).response.allowed, true);
    assert.equal(await child.exited, 0);
  });

  it("a review longer than --shutdown-timeout is cut and the process exits 1", async () => {
    const child = await startChild(5000, ["--shutdown-delay", "0", "--shutdown-timeout", "0.3"]);
    const inFlight = postReview(child.url, jobReview()).then(() => "answered", () => "cut");
    await sleep(200);
    child.proc.kill("SIGTERM");
    assert.equal(await child.exited, 1);
    assert.equal(await inFlight, "cut");
    assert.ok(child.lines.some((l) => l["msg"] === "shutdown timed out; open connections were cut"));
  });

  it("without NODE_ENV=test the delay hook is ignored", async () => {
    const proc = spawn(process.execPath, [MAIN, "webhook", "--cert-dir", certDir(), "--host", "127.0.0.1", "--port", "0", "--metrics-port", "0"], {
      env: { ...process.env, NODE_ENV: "production", AGENTIFY_TEST_ADMISSION_DELAY_MS: "5000" },
    });
    const url = await new Promise<string>((resolve) => {
      createInterface({ input: proc.stdout }).on("line", (text) => {
        const line = JSON.parse(text) as Record<string, unknown>;
        if (line["msg"] === "webhook listening") resolve(String(line["url"]));
      });
    });
    const started = Date.now();
    await postReview(url, jobReview());
    assert.ok(Date.now() - started < 2000);
    proc.kill("SIGINT");
    assert.deepEqual(await once(proc, "exit"), [0, null]);
  });
});
