#!/usr/bin/env node
// Dispatcher benchmark (part of `make bench`), end to end on a real control plane (no node: the
// Jobs' pods stay Pending) with `agentify webhook` registered (failurePolicy: Fail) and the stacks
// API stand-in (its own process, documented rate limits on). Every process is started with the
// Node flags and compile cache of the manifests.
//   start-up    spawn to the first agentified Job stored, with the stand-in already holding 5
//               jobs; median of 3, against the floor process doing the same (after one cold start
//               that fills the compile cache, as building the image does).
//   rounds      one dispatcher process through --rounds rounds of 1,000 jobs scheduled at once
//               (half a poll interval after a poll); after each round the jobs are cancelled on
//               the stand-in and the dispatcher deletes their Jobs, as after a cancelled build. The
//               floor (floor.ts: the same stacks calls and creates with the same clients and
//               concurrency, no informers; one long-lived process, warm like the dispatcher) runs
//               1,000 jobs on its own queue in rounds 1, 4, 7, 10.
// Goals: idle RSS (registered, polling, before any job) <= 80 MB; peak RSS over all rounds
// <= 150 MB; CPU per dispatched job <= 2.5 ms; first Job <= 0.5 s after start; RSS after the
// last round within 10% of after the first. `--strict` exits 1 on a miss.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { generateCa, issueServingCert, writeCertDir } from "../../certs/index.ts";
import { KubeClients, loadKubeConnection } from "../../dispatcher/kube/clients.ts";
import { startCluster } from "../../test/cluster/harness.ts";
import type { Cluster } from "../../test/cluster/harness.ts";
import { manifestNodeSettings } from "../support/manifest-node.ts";
import { cpuSeconds, median, rssMb, verdict } from "../support/proc.ts";
import { freePort, startServer } from "../webhook/servers.ts";
import type { Running } from "../webhook/servers.ts";
import { typicalJobReview } from "../webhook/typical-job.ts";
import { okPolls, startDispatcher, startFloor } from "./processes.ts";
import type { BenchEnv, Floor } from "./processes.ts";
import { startStandinProcess } from "./standin-process.ts";
import type { StandinProcess } from "./standin-process.ts";
import { watchStored } from "./stored-jobs.ts";

const GOALS = { idleRssMb: 80, peakRssMb: 150, cpuMsPerJob: 2.5, startupMs: 500, growth: 1.1 };
const { values: args } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000" },
    rounds: { type: "string", default: "10" },
    startups: { type: "string", default: "3" },
    strict: { type: "boolean", default: false },
    root: { type: "string", default: fileURLToPath(new URL("../..", import.meta.url)) },
    /** Replaces the manifest's Node flags (to try others; the goals are for the manifest's). */
    "node-flags": { type: "string" },
  },
});
const JOBS = Number(args.jobs);
const ROUNDS = Math.max(1, Number(args.rounds));
const FLOOR_ROUNDS = new Set([1, 4, 7, 10, ROUNDS].filter((r) => r <= ROUNDS));

/**
 * Idle RSS is read this long after a poll that found nothing: past the dispatcher's one-time
 * collection of start-up garbage (a second after it started), as a dispatcher idles in a cluster.
 */
const IDLE_SETTLE_MS = 2000;

const steps = (count: number, queue: string) => Array.from({ length: count }, (_, i) => ({ command: `echo bench ${i}`, agents: { queue } }));

async function registerWebhook(cluster: Cluster, webhook: Running, caCert: string): Promise<void> {
  await cluster.kubectl(["apply", "-f", "-"], {
    check: true,
    input: JSON.stringify({
      apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", metadata: { name: "agentify-bench" },
      webhooks: [{
        name: "jobs.agentify.buildkite.com", clientConfig: { url: webhook.url, caBundle: Buffer.from(caCert).toString("base64") },
        rules: [{ operations: ["CREATE"], apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs"], scope: "Namespaced" }],
        objectSelector: { matchExpressions: [{ key: "buildkite.com/job-uuid", operator: "Exists" }] },
        failurePolicy: "Fail", sideEffects: "None", admissionReviewVersions: ["v1"], timeoutSeconds: 10,
      }],
    }),
  });
  await sleep(2000); // the apiserver loads webhook configurations asynchronously
}

interface Context {
  cluster: Cluster;
  bench: BenchEnv;
  standin: StandinProcess;
  kube(namespace: string): KubeClients;
  namespace(name: string): Promise<string>;
}

/** Spawn to first agentified Job stored, the stand-in already holding 5 jobs. */
async function startup(ctx: Context, what: "dispatcher" | "floor", name: string): Promise<number> {
  const ns = await ctx.namespace(name);
  const queue = `start-${name}`;
  const kube = ctx.kube(ns);
  const stored = await watchStored(kube, 5);
  const ids = await ctx.standin.enqueue(steps(5, queue));
  const proc = what === "dispatcher" ? startDispatcher(ctx.bench, ns, queue, await freePort()) : await startFloor(ctx.bench, ns, queue, 5, true);
  try {
    const first = await stored.first;
    await stored.all;
    return first - proc.spawnedAt;
  } finally {
    stored.stop();
    await proc.stop();
    kube.close();
    await ctx.standin.cancel(ids); // so that they never come back to another stack when their reservation lapses
  }
}

/** Waits for the next successful poll, then half an interval: the average wait for the one after. */
async function afterPoll(metricsPort: number): Promise<void> {
  const polls = await okPolls(metricsPort);
  while ((await okPolls(metricsPort)) === polls) await sleep(5);
  await sleep(500);
}

async function floorRound(ctx: Context, floor: Floor, round: number): Promise<{ ms: number; cpuMs: number }> {
  const ns = await ctx.namespace(`floor-${round}`);
  const kube = ctx.kube(ns);
  const stored = await watchStored(kube, JOBS);
  let ids: string[] = [];
  try {
    ids = await ctx.standin.enqueue(steps(JOBS, "bench-floor"));
    const t0 = performance.now();
    const report = floor.round(ns);
    const t1 = await stored.all;
    return { ms: t1 - t0, cpuMs: Number((await report).split(" ")[3]) / JOBS };
  } finally {
    stored.stop();
    kube.close();
    await ctx.standin.cancel(ids);
  }
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "agentify-dispatcher-bench-"));
  let cluster: Cluster | undefined;
  const stops: (() => Promise<void>)[] = [];
  try {
    console.log(`dispatcher benchmark: ${JOBS} jobs x ${ROUNDS} rounds, node ${process.version}`);
    cluster = await startCluster({ node: false });
    const kubeconfig = cluster.kubeconfigPath;
    const ca = generateCa({ commonName: "agentify-dispatcher-bench" });
    const certDir = join(dir, "certs");
    writeCertDir(certDir, { ca, serving: issueServingCert(ca, { service: "agentify", namespace: "bench", ips: ["127.0.0.1"] }) });
    const webhookNode = manifestNodeSettings(args.root, "webhook.yaml", "webhook");
    const webhook = await startServer({ name: "webhook", kind: "webhook", body: typicalJobReview(), args: ["--log-level", "warn", "--audit-level", "debug"] },
      { root: args.root, certDir, ca: ca.cert, answerFile: "", node: webhookNode, compileCacheDir: join(dir, "webhook-cache") });
    stops.push(() => webhook.stop());
    await registerWebhook(cluster, webhook, ca.cert);
    const standin = await startStandinProcess(await freePort());
    stops.push(() => standin.stop());
    const node = manifestNodeSettings(args.root, "dispatcher.yaml", "dispatcher");
    if (args["node-flags"] !== undefined) node.flags = args["node-flags"].split(/\s+/).filter(Boolean);
    console.log(`  control plane up in ${(cluster.startupMs / 1000).toFixed(1)} s; node flags from the manifest: ${node.flags.join(" ") || "(none)"}; compile cache: ${node.compileCache ? "yes" : "no"}`);
    const bench: BenchEnv = { root: args.root, dir, kubeconfig, endpoint: standin.url, token: standin.token, node, compileCacheDir: join(dir, "cache") };
    const ctx: Context = {
      cluster, bench, standin,
      kube: (ns) => new KubeClients(loadKubeConnection(kubeconfig), { namespace: ns, qps: 1000, burst: 1000 }),
      namespace: async (name) => {
        await cluster!.kubectl(["create", "namespace", name], { check: true });
        return name;
      },
    };

    const cold = await startup(ctx, "dispatcher", "start-cold");
    const starts = { dispatcher: [] as number[], floor: [] as number[] };
    for (let i = 0; i < Number(args.startups); i++) {
      starts.dispatcher.push(await startup(ctx, "dispatcher", `start-d${i}`));
      starts.floor.push(await startup(ctx, "floor", `start-f${i}`));
    }
    console.log(`  start-up: dispatcher ${starts.dispatcher.map((t) => t.toFixed(0)).join(", ")} ms (cold ${cold.toFixed(0)}); floor ${starts.floor.map((t) => t.toFixed(0)).join(", ")} ms`);

    const ns = await ctx.namespace("dispatch");
    const kube = ctx.kube(ns);
    const metricsPort = await freePort();
    const dispatcher = startDispatcher(bench, ns, "bench", metricsPort);
    stops.push(() => dispatcher.stop());
    for (let i = 0; (await okPolls(metricsPort)) === 0; i++) {
      if (i > 600 || dispatcher.child.exitCode !== null) throw new Error("the dispatcher never polled");
      await sleep(50);
    }
    await afterPoll(metricsPort);
    await sleep(IDLE_SETTLE_MS);
    const idleRssMb = rssMb(dispatcher.pid);
    const floor = await startFloor(bench, "floor-0", "bench-floor", JOBS, false);
    stops.push(() => floor.stop());
    const floors: { ms: number; cpuMs: number }[] = [];
    const rounds: { ms: number; cpuMs: number; rssAfterMb: number }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      if (FLOOR_ROUNDS.has(round)) floors.push(await floorRound(ctx, floor, round));
      const stored = await watchStored(kube, JOBS);
      await afterPoll(metricsPort);
      const cpu0 = cpuSeconds(dispatcher.pid);
      const t0 = performance.now();
      const ids = await standin.enqueue(steps(JOBS, "bench"));
      const t1 = await stored.all;
      stored.stop();
      await sleep(1000); // notifications and other trailing work of the round
      const cpuMs = ((cpuSeconds(dispatcher.pid) - cpu0) * 1000) / JOBS;
      await standin.cancel(ids);
      for (let waited = 0; (await kube.listJobs("buildkite.com/job-uuid", 1, undefined)).items.length > 0; waited += 200) {
        if (waited > 120_000) throw new Error(`round ${round}: the dispatcher did not delete the cancelled jobs' Jobs within 2 minutes`);
        await sleep(200);
      }
      await sleep(2000); // the dispatcher sees the deletes
      rounds.push({ ms: t1 - t0, cpuMs, rssAfterMb: rssMb(dispatcher.pid) });
      const f = floors.at(-1);
      console.log(`  round ${String(round).padStart(2)}: dispatcher ${((t1 - t0) / 1000).toFixed(2)} s, ${cpuMs.toFixed(2)} ms CPU/job, RSS ${rounds.at(-1)!.rssAfterMb.toFixed(0)} MB after` +
        (FLOOR_ROUNDS.has(round) && f ? `; floor ${(f.ms / 1000).toFixed(2)} s, ${f.cpuMs.toFixed(2)} ms CPU/job` : ""));
    }
    const peakRssMb = rssMb(dispatcher.pid, "VmHWM");
    kube.close();

    const cpu = median(rounds.map((r) => r.cpuMs));
    const floorCpu = median(floors.map((f) => f.cpuMs));
    const time = median(rounds.map((r) => r.ms));
    const floorTime = median(floors.map((f) => f.ms));
    const start = median(starts.dispatcher);
    const [firstRss, lastRss] = [rounds[0]!.rssAfterMb, rounds.at(-1)!.rssAfterMb];
    console.log(`  1,000 jobs: dispatcher ${(time / 1000).toFixed(2)} s (includes ~0.5 s to the next poll), floor ${(floorTime / 1000).toFixed(2)} s: ${(time / floorTime).toFixed(2)}x (medians)`);
    const goals: [string, boolean][] = [
      [`dispatcher idle RSS ${idleRssMb.toFixed(1)} MB <= ${GOALS.idleRssMb} MB`, idleRssMb <= GOALS.idleRssMb],
      [`dispatcher peak RSS over ${ROUNDS} rounds ${peakRssMb.toFixed(1)} MB <= ${GOALS.peakRssMb} MB`, peakRssMb <= GOALS.peakRssMb],
      [`CPU per dispatched job ${cpu.toFixed(2)} ms <= ${GOALS.cpuMsPerJob} ms (floor: ${floorCpu.toFixed(2)} ms, ${(cpu / floorCpu).toFixed(2)}x)`, cpu <= GOALS.cpuMsPerJob],
      [`first Job ${start.toFixed(0)} ms after start <= ${GOALS.startupMs} ms (floor: ${median(starts.floor).toFixed(0)} ms)`, start <= GOALS.startupMs],
      [`RSS after round ${ROUNDS} ${lastRss.toFixed(1)} MB within ${((GOALS.growth - 1) * 100).toFixed(0)}% of after round 1 (${firstRss.toFixed(1)} MB): ${(lastRss / firstRss).toFixed(2)}x`, lastRss <= firstRss * GOALS.growth],
    ];
    for (const [text, ok] of goals) console.log(`${verdict(ok)} ${text}`);
    const calls = await standin.calls();
    console.log(`  stacks API: ${calls.length} calls, ${calls.filter((c) => c.status === 429).length} answered 429 (documented rate limits on)`);
    return args.strict && goals.some(([, ok]) => !ok) ? 1 : 0;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exit(await main().catch((err: unknown) => {
  console.error(err);
  return 1;
}));
