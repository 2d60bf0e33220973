#!/usr/bin/env node
// Dispatcher benchmark (part of `make bench`), end to end on a real control plane with the
// agentify webhook registered (failurePolicy: Fail; in this process) and the stacks API stand-in
// (its own process, documented rate limits on):
//   dispatcher: `agentify dispatcher` as a child process, polling every second; 1,000 jobs are
//               scheduled at once, half a second after a poll (the average wait for the next
//               one); time until the 1,000th agentified Job is stored (seen by a watch).
//   floor:      a child process creating the same 1,000 Jobs, already agentified, directly with
//               the same client and concurrency (job-creation-concurrency); same measure.
// Runs floor, dispatcher, floor, dispatcher and compares the best of each; then once more with
// `node --optimize-for-size`, for information.
// Goals: dispatcher/floor ≤ 1.25; dispatcher peak RSS ≤ 150 MB. `--strict` exits 1 on a miss.
// BENCH_VERBOSE=1 also prints when the 1st, 250th, 500th, 750th and 1000th Jobs were stored.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Watch } from "@kubernetes/client-node";
import { pino } from "pino";
import { generateCa, issueServingCert, writeCertDir } from "../../certs/index.ts";
import { buildBareJob } from "../../dispatcher/job/bare-job.ts";
import { KubeClients, loadKubeConfig } from "../../dispatcher/kube/clients.ts";
import { configFromObject } from "../../webhook/core/config/index.ts";
import { agentify } from "../../webhook/core/index.ts";
import type { JsonObject } from "../../webhook/core/index.ts";
import { startWebhook } from "../../webhook/server/server.ts";
import { startCluster } from "../../test/cluster/harness.ts";
import type { Cluster } from "../../test/cluster/harness.ts";
import { startStandinProcess } from "./standin-process.ts";
import type { StandinProcess } from "./standin-process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FLOOR = fileURLToPath(new URL("./floor.ts", import.meta.url));
const GOALS = { ratio: 1.25, rssMb: 150 };
const { values: args } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    rounds: { type: "string", default: "2" },
    strict: { type: "boolean", default: false },
    /** NODE_OPTIONS for the dispatcher and floor children (e.g. V8 heap flags). */
    "node-options": { type: "string", default: "" },
  },
});
const JOBS = Number(args.jobs);
const CONCURRENCY = 25;
const QPS = 1000;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** The dispatcher's successful polls so far, from its /metrics. */
async function okPolls(metricsPort: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return Number(/^agentify_dispatcher_polls_total\{result="ok"\} (\d+)/m.exec(text)?.[1] ?? "0");
  } catch {
    return 0;
  }
}

function configObject(namespace: string): Record<string, unknown> {
  return {
    namespace, queue: "bench", tags: ["queue=bench"], "max-in-flight": 0, "job-creation-concurrency": CONCURRENCY,
    "k8s-client-rate-limiter-qps": QPS, "k8s-client-rate-limiter-burst": QPS, "poll-interval": "1s", "reservation-expiry-seconds": 300,
    "pod-pending-timeout": "1h", "log-level": "warn",
  };
}

/** Resolves with the time (performance.now) at which `count` Jobs have been stored in `namespace`. */
async function watchStored(kube: KubeClients, namespace: string, count: number): Promise<{ done: Promise<number>; marks: number[]; stop(): void }> {
  const list = await kube.listJobs("buildkite.com/job-uuid", 1, undefined);
  let seen = 0;
  let resolve: (t: number) => void = () => undefined;
  const done = new Promise<number>((r) => (resolve = r));
  const marks: number[] = [];
  const controller = await new Watch(kube.kubeConfig).watch(`/apis/batch/v1/namespaces/${namespace}/jobs`, { resourceVersion: list.resourceVersion, labelSelector: "buildkite.com/job-uuid" },
    (type: string, obj: { metadata?: { annotations?: Record<string, string> } }) => {
      if (type !== "ADDED" || !obj.metadata?.annotations?.["buildkite.com/agentified"]) return;
      seen++;
      if (seen === 1 || seen % Math.max(1, Math.floor(count / 4)) === 0) marks.push(performance.now());
      if (seen === count) resolve(performance.now());
    }, () => undefined);
  return { done, marks, stop: () => controller.abort() };
}

async function namespace(cluster: Cluster, name: string): Promise<void> {
  await cluster.kubectl(["create", "namespace", name], { check: true });
}

function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}

async function runFloor(cluster: Cluster, dir: string, ns: string, kube: KubeClients): Promise<number> {
  const config = configFromObject(configObject(ns), "bench");
  const jobs = Array.from({ length: JOBS }, (_, i) => {
    const uuid = crypto.randomUUID();
    const bare = buildBareJob({
      uuid, command: `echo bench ${i}`, priority: 0, agentQueryRules: ["queue=bench"], plugin: undefined, pluginJson: undefined,
      env: { BUILDKITE_BUILD_URL: `https://buildkite.com/bench/p/builds/${i}`, BUILDKITE_BRANCH: "main", BUILDKITE_REPO: "https://github.com/buildkite/agent.git", BUILDKITE_PIPELINE_SLUG: "p" },
    }, { namespace: ns, jobPrefix: "buildkite-", controllerId: "", image: config.image });
    return agentify(bare as unknown as JsonObject, config);
  });
  const file = join(dir, `${ns}.json`);
  writeFileSync(file, JSON.stringify(jobs));
  const child = spawn(process.execPath, [FLOOR, file, cluster.kubeconfigPath, ns, String(CONCURRENCY), String(QPS)], {
    stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, NODE_OPTIONS: args["node-options"] },
  });
  const out = lines(child);
  await out.next(); // ready
  const stored = await watchStored(kube, ns, JOBS);
  const t0 = performance.now();
  child.stdin!.write("go\n");
  const t1 = await stored.done;
  if (process.env["BENCH_VERBOSE"]) console.log(`    floor marks: ${stored.marks.map((m) => Math.round(m - t0)).join(" ")}`);
  const report = (await out.next()).value as string;
  stored.stop();
  if (!report.startsWith("done") || report.split(" ")[2] !== "0") throw new Error(`floor failed: ${report}`);
  return t1 - t0;
}

/** VmHWM (peak) or VmRSS (now) of a process, in MB. */
function rssMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? "0");
  return kb / 1024;
}

interface DispatchRun {
  ms: number;
  rssMb: number;
  idleRssMb: number;
}

async function runDispatcher(cluster: Cluster, dir: string, ns: string, kube: KubeClients, standin: StandinProcess, nodeOptions: string, v8Flags: string[] = []): Promise<DispatchRun> {
  const file = join(dir, `${ns}.yaml`);
  const metricsPort = await freePort();
  writeFileSync(file, JSON.stringify({ ...configObject(ns), id: ns, "prometheus-port": metricsPort }));
  const child = spawn(process.execPath, [...v8Flags, join(ROOT, "bin/agentify.ts"), "dispatcher", "--config", file, "--kubeconfig", cluster.kubeconfigPath, "--endpoint", standin.url], {
    env: { PATH: process.env["PATH"], BUILDKITE_AGENT_TOKEN: standin.token, NODE_OPTIONS: nodeOptions }, stdio: ["ignore", "inherit", "inherit"],
  });
  let exited = false;
  const exit = new Promise((resolve) => child.once("exit", () => resolve((exited = true))));
  try {
    for (let i = 0; (await okPolls(metricsPort)) === 0; i++) {
      if (i > 600 || exited) throw new Error(exited ? "dispatcher exited" : "dispatcher never polled");
      await new Promise((r) => setTimeout(r, 50));
    }
    const stored = await watchStored(kube, ns, JOBS);
    // Schedule the jobs half a poll interval after a poll: the average wait for the next poll.
    const polls = await okPolls(metricsPort);
    while ((await okPolls(metricsPort)) === polls) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 500));
    const idleRssMb = rssMb(child.pid ?? 0, "VmRSS");
    const t0 = performance.now();
    await standin.enqueue(Array.from({ length: JOBS }, (_, i) => ({ command: `echo bench ${i}`, agents: { queue: "bench" } })));
    const t1 = await stored.done;
    if (process.env["BENCH_VERBOSE"]) console.log(`    dispatcher marks: ${stored.marks.map((m) => Math.round(m - t0)).join(" ")}`);
    stored.stop();
    return { ms: t1 - t0, rssMb: rssMb(child.pid ?? 0, "VmHWM"), idleRssMb };
  } finally {
    child.kill("SIGTERM");
    await exit;
  }
}

const dir = mkdtempSync(join(tmpdir(), "agentify-dispatcher-bench-"));
const logger = pino({ level: "silent" });
let cluster: Cluster | undefined;
let exitCode = 0;
try {
  console.log(`dispatcher benchmark: ${JOBS} jobs, concurrency ${CONCURRENCY}`);
  cluster = await startCluster();
  console.log(`  control plane up in ${(cluster.startupMs / 1000).toFixed(1)} s`);
  const ca = generateCa({ commonName: "agentify-dispatcher-bench" });
  writeCertDir(dir, { ca, serving: issueServingCert(ca, { service: "agentify", namespace: "bench", ips: ["127.0.0.1"] }) });
  const webhook = await startWebhook({ config: configFromObject(configObject("bench"), "bench"), certDir: dir, host: "127.0.0.1", port: 0, metricsPort: 0, logger });
  await cluster.kubectl(["apply", "-f", "-"], {
    check: true,
    input: JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", metadata: { name: "agentify-bench" },
      webhooks: [{
        name: "jobs.agentify.buildkite.com", clientConfig: { url: webhook.mutateUrl, caBundle: Buffer.from(ca.cert).toString("base64") },
        rules: [{ operations: ["CREATE"], apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs"], scope: "Namespaced" }],
        objectSelector: { matchExpressions: [{ key: "buildkite.com/job-uuid", operator: "Exists" }] },
        failurePolicy: "Fail", sideEffects: "None", admissionReviewVersions: ["v1"], timeoutSeconds: 10,
      }],
    }),
  });
  await new Promise((r) => setTimeout(r, 2000)); // the apiserver loads webhook configurations asynchronously
  const standin = await startStandinProcess(await freePort());
  const floors: number[] = [];
  const dispatches: DispatchRun[] = [];
  const clients = (ns: string) => new KubeClients(loadKubeConfig(cluster!.kubeconfigPath), { namespace: ns, qps: QPS, burst: QPS });
  const show = (label: string, run: DispatchRun) =>
    console.log(`  ${label}: ${(run.ms / 1000).toFixed(2)} s, RSS ${run.idleRssMb.toFixed(0)} MB idle, ${run.rssMb.toFixed(0)} MB peak`);
  for (let round = 1; round <= Number(args.rounds); round++) {
    await namespace(cluster, `floor-${round}`);
    floors.push(await runFloor(cluster, dir, `floor-${round}`, clients(`floor-${round}`)));
    console.log(`  round ${round} floor:      ${(floors.at(-1)! / 1000).toFixed(2)} s`);
    await namespace(cluster, `dispatch-${round}`);
    dispatches.push(await runDispatcher(cluster, dir, `dispatch-${round}`, clients(`dispatch-${round}`), standin, args["node-options"]));
    show(`round ${round} dispatcher`, dispatches.at(-1)!);
  }
  // For information: the same dispatcher with V8's size-optimised heap (`node --optimize-for-size`;
  // NODE_OPTIONS does not accept that flag), which halves its RSS for more garbage collection.
  await namespace(cluster, "dispatch-small-heap");
  const small = await runDispatcher(cluster, dir, "dispatch-small-heap", clients("dispatch-small-heap"), standin, args["node-options"], ["--optimize-for-size"]);
  show("with node --optimize-for-size", small);
  const floor = Math.min(...floors);
  const dispatch = Math.min(...dispatches.map((d) => d.ms));
  const rss = Math.max(...dispatches.map((d) => d.rssMb));
  const ratio = dispatch / floor;
  const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
  console.log(`floor (direct creates):   ${(floor / 1000).toFixed(2)} s  (${Math.round(JOBS / (floor / 1000))} Jobs/s)`);
  console.log(`dispatcher (end to end):  ${(dispatch / 1000).toFixed(2)} s  (${Math.round(JOBS / (dispatch / 1000))} Jobs/s; includes 0.5 s waiting for the next poll)`);
  console.log(`ratio dispatcher/floor:   ${ratio.toFixed(2)}  goal ≤ ${GOALS.ratio}  ${verdict(ratio <= GOALS.ratio)}`);
  console.log(`dispatcher peak RSS:      ${rss.toFixed(0)} MB  goal ≤ ${GOALS.rssMb} MB  ${verdict(rss <= GOALS.rssMb)}`);
  console.log(`  (small heap: ratio ${(small.ms / floor).toFixed(2)}, peak RSS ${small.rssMb.toFixed(0)} MB; information only)`);
  const calls = await standin.calls();
  console.log(`  stacks API: ${calls.length} calls, ${calls.filter((c) => c.status === 429).length} answered 429 (documented rate limits on)`);
  if (args.strict && (ratio > GOALS.ratio || rss > GOALS.rssMb)) exitCode = 1;
  await standin.stop();
  await webhook.shutdown({ delayMs: 0, timeoutMs: 500 });
} catch (err) {
  console.error(err);
  exitCode = 1;
} finally {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
