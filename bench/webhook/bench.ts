#!/usr/bin/env node
// Webhook benchmark (part of `make bench`). autocannon, at 1 and 20 connections, against:
//   (a) floor: bare node:https with the same TLS settings answering a constant AdmissionReview;
//   (b) webhook: agentifying a typical Job (the goals apply to this one);
//   (c) the same with --audit-level debug: what logging the redacted patch at info costs;
//   (d) the same Job unlabelled, answered unchanged: the HTTP layer's own cost without the core.
// Goals: webhook/floor ≥ 0.8 at 20 connections, p99 ≤ 5 ms at 1 connection, RSS ≤ 100 MB;
// PASS/FAIL is printed per goal and `--strict` makes a miss exit 1. Latencies are exact (per
// response, not autocannon's 1 ms buckets). Load goes to 127.0.0.1 only; about 50 s with the
// default --duration 5.
import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { generateCa, issueServingCert, writeCertDir } from "../../certs/index.ts";
import { typicalJobReview } from "./typical-job.ts";

const SERVE = fileURLToPath(new URL("./serve.ts", import.meta.url));
const FLOOR = fileURLToPath(new URL("./floor-server.ts", import.meta.url));
const CONNECTIONS = [1, 20] as const;
const GOALS = { ratioAt20: 0.8, p99At1Ms: 5, rssMb: 100 };

interface Run {
  connections: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  peakRssMb: number;
}

interface Server {
  name: string;
  script: string;
  args: string[];
  /** The request body; the webhook variants that agentify are checked to really do so. */
  body: string;
  agentifies: boolean;
}

interface Measured {
  runs: Run[];
  idleRssMb: number;
  heapUsedMb: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Samples VmRSS of `pid` every 50 ms; call the result to stop and get the peak in MB. */
function rssSampler(pid: number): () => number {
  let peakKb = 0;
  const sample = (): void => {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    if (match) peakKb = Math.max(peakKb, Number(match[1]));
  };
  sample();
  const timer = setInterval(sample, 50);
  return () => {
    clearInterval(timer);
    sample();
    return peakKb / 1024;
  };
}

async function startServer(server: Server): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(server.script, server.args, { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`${server.name} server exited with ${code}`);
  });
  const [message] = (await Promise.race([once(child, "message"), exited])) as [{ port: number }];
  exited.catch(() => undefined);
  return { child, url: `https://127.0.0.1:${message.port}/mutate/jobs` };
}

async function heapUsedMb(child: ChildProcess): Promise<number> {
  child.send("memory");
  const [message] = (await once(child, "message")) as [{ memory: NodeJS.MemoryUsage }];
  return message.memory.heapUsed / 1024 / 1024;
}

async function load(url: string, body: string, connections: number, seconds: number, pid: number): Promise<Run> {
  const times: number[] = [];
  const stopRss = rssSampler(pid);
  const instance = autocannon({ url, method: "POST", body, headers: { "content-type": "application/json" }, connections, duration: seconds });
  instance.on("response", (_client, _status, _bytes, responseTime) => times.push(responseTime));
  const result = await instance;
  const peakRssMb = stopRss();
  times.sort((a, b) => a - b);
  return {
    connections, rps: times.length / result.duration, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99),
    errors: result.errors + result.timeouts, non2xx: result.non2xx, peakRssMb,
  };
}

/** One review through the webhook, to be sure the benchmark measures agentifying, not a skip. */
async function checkAgentifies(url: string, body: string, ca: string): Promise<void> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json" }, ca }, (res) => {
      let data = "";
      res.on("data", (chunk: Buffer) => (data += chunk.toString()));
      res.on("end", () => resolve(data));
    });
    req.on("error", reject);
    req.end(body);
  });
  const answer = JSON.parse(text) as { response?: { allowed?: boolean; patchType?: string } };
  if (answer.response?.allowed !== true || answer.response.patchType !== "JSONPatch") throw new Error(`the webhook did not agentify the bench Job: ${text.slice(0, 500)}`);
}

async function measure(server: Server, seconds: number, ca: string): Promise<Measured> {
  const { child, url } = await startServer(server);
  const body = server.body;
  try {
    const idleRssMb = rssSampler(child.pid!)();
    if (server.agentifies) await checkAgentifies(url, body, ca);
    await load(url, body, 20, 1, child.pid!); // warm-up: JIT, TLS session setup
    const runs: Run[] = [];
    for (const connections of CONNECTIONS) runs.push(await load(url, body, connections, seconds, child.pid!));
    return { runs, idleRssMb, heapUsedMb: await heapUsedMb(child) };
  } finally {
    child.kill("SIGKILL");
    await once(child, "exit");
  }
}

function row(name: string, run: Run): string {
  const cells = [name, String(run.connections), run.rps.toFixed(0), run.p50Ms.toFixed(2), run.p99Ms.toFixed(2), run.peakRssMb.toFixed(1), String(run.errors + run.non2xx)];
  return cells.map((c, i) => (i === 0 ? c.padEnd(NAME_WIDTH) : c.padStart(9))).join(" ");
}

const NAME_WIDTH = 26;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { strict: { type: "boolean", default: false }, duration: { type: "string", default: "5" } } });
  const seconds = Number(values.duration);
  const certDir = mkdtempSync(join(tmpdir(), "agentify-bench-"));
  try {
    const ca = generateCa();
    writeCertDir(certDir, { ca, serving: issueServingCert(ca, { service: "agentify-webhook", namespace: "bench", ips: ["127.0.0.1"] }) });
    const body = typicalJobReview();
    console.log(`webhook bench: ${body.length}-byte AdmissionReview (3 containers, 20 env vars), ${seconds} s per run, node ${process.version}`);
    console.log("  \"unlabelled\": the same Job without its job-uuid label, answered unchanged: the server layer's own cost");
    const servers: Server[] = [
      { name: "floor", script: FLOOR, args: [certDir], body, agentifies: false },
      { name: "webhook", script: SERVE, args: [certDir, "info"], body, agentifies: true },
      { name: "webhook, patch not logged", script: SERVE, args: [certDir, "debug"], body, agentifies: true },
      { name: "webhook, unlabelled", script: SERVE, args: [certDir, "info"], body: typicalJobReview(false), agentifies: false },
    ];
    const results: Measured[] = [];
    for (const server of servers) results.push(await measure(server, seconds, ca.cert));
    console.log(["server", "conns", "req/s", "p50 ms", "p99 ms", "RSS MB", "failed"].map((c, i) => (i === 0 ? c.padEnd(NAME_WIDTH) : c.padStart(9))).join(" "));
    for (const [i] of CONNECTIONS.entries()) for (const [s, server] of servers.entries()) console.log(row(server.name, results[s]!.runs[i]!));
    for (const [s, server] of servers.entries()) {
      console.log(`${server.name}: RSS ${results[s]!.idleRssMb.toFixed(1)} MB idle, V8 heap used ${results[s]!.heapUsedMb.toFixed(1)} MB after the runs`);
    }
    const [floor, webhook, quiet, unlabelled] = results.map((r) => r.runs) as [Run[], Run[], Run[], Run[]];
    const at = (runs: Run[], connections: number): Run => runs.find((r) => r.connections === connections)!;
    const ratio20 = at(webhook, 20).rps / at(floor, 20).rps;
    const ratio1 = at(webhook, 1).rps / at(floor, 1).rps;
    const p99 = at(webhook, 1).p99Ms;
    const rss = Math.max(...webhook.map((r) => r.peakRssMb));
    const failed = results.flatMap((r) => r.runs).reduce((n, r) => n + r.errors + r.non2xx, 0);
    const ratioAt20 = (runs: Run[]): string => (at(runs, 20).rps / at(floor, 20).rps).toFixed(2);
    console.log(`ratio webhook/floor: ${ratio1.toFixed(2)} at 1 connection, ${ratio20.toFixed(2)} at 20 (patch not logged ${ratioAt20(quiet)}, unlabelled ${ratioAt20(unlabelled)})`);
    const goals: [string, boolean][] = [
      [`ratio at 20 connections ${ratio20.toFixed(2)} >= ${GOALS.ratioAt20}`, ratio20 >= GOALS.ratioAt20],
      [`p99 at 1 connection ${p99.toFixed(2)} ms <= ${GOALS.p99At1Ms} ms`, p99 <= GOALS.p99At1Ms],
      [`webhook peak RSS ${rss.toFixed(1)} MB <= ${GOALS.rssMb} MB`, rss <= GOALS.rssMb],
      [`no failed requests (${failed})`, failed === 0],
    ];
    for (const [text, ok] of goals) console.log(`${ok ? "PASS" : "FAIL"} ${text}`);
    if (values.strict && goals.some(([, ok]) => !ok)) process.exitCode = 1;
  } finally {
    rmSync(certDir, { recursive: true, force: true });
  }
}

await main();
