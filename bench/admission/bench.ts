#!/usr/bin/env node
// Admission overhead (part of `make bench`): latency of creating Jobs through a real
// kube-apiserver with the agentify webhook registered (the manifests' webhook entry, pointed by
// url at `agentify webhook` started as the manifests start it), against its floor: creating
// the same agentified Jobs directly, with no webhook registered, so that both store the same
// object. Goal: p50 with the webhook ≤ 1.2 × p50 direct. `--strict` makes a miss exit 1.
//
// Modes: "with" creates bare Jobs with the webhook registered; "direct" (the floor) creates
// agentify's output with no webhook registered; "without" (for the breakdown) creates the bare
// Jobs with no webhook, which separates the cost of storing the bigger agentified Job from the
// cost of the webhook call. The apiserver's and the webhook's CPU time per Job is read from
// /proc for each mode. The modes alternate in rounds (registering and unregistering the
// webhook in between, each time until the apiserver acts on it), in ABBA order, so that drift
// (a busy machine, etcd growing, the Job controller's backlog) weighs on all alike. Every mode
// leaves the Job controller the same work: all Jobs but those agentify unsuspends itself are
// created unsuspended, so each gets a Pod. Unmeasured warm-up creates come first, and the
// webhook is sent 2,000 reviews directly before (steady state, as a running webhook). 127.0.0.1 only.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { caBundle, generateCa, issueServingCert, writeCertDir } from "../../certs/index.ts";
import { agentify, parseConfig } from "../../webhook/core/index.ts";
import type { JsonObject } from "../../webhook/core/index.ts";
import { attachCluster, startCluster } from "../../test/cluster/harness.ts";
import type { Cluster } from "../../test/cluster/harness.ts";
import { KubeApi } from "../../test/e2e/support/api.ts";
import { createNamespace, deleteNamespace, waitForDefaultServiceAccount } from "../../test/e2e/support/namespaces.ts";
import { bareJob } from "../../test/e2e/webhook/helpers/jobs.ts";
import {
  agentifyWebhookEntry, deleteMutatingWebhookConfiguration, isAgentified, putMutatingWebhookConfiguration, waitUntilAdmittedBare, waitUntilAgentified,
} from "../../test/e2e/webhook/helpers/registration.ts";
import { createJobs, statsOf } from "./load.ts";
import type { LoadStats } from "./load.ts";
import { cpuSeconds } from "../support/proc.ts";
import { agentifiedAdmissionTime, startWebhookProcess } from "./webhook-process.ts";
import type { WebhookProcess } from "./webhook-process.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const MANIFEST_CONFIG = join(REPO, "manifests", "base", "agentify-config.yaml");
const MANIFEST_WEBHOOK = join(REPO, "manifests", "base", "webhook-configuration.yaml");
const CONFIG_NAME = "agentify-bench";
const LABEL: [string, string] = ["bench.agentify/webhook", "on"];
const MODES = ["without", "direct", "with"] as const;
type Mode = (typeof MODES)[number];

export interface AdmissionBenchOptions {
  /** Jobs per mode (default 500). */
  jobs?: number;
  /** Requests in flight (default 10). */
  concurrency?: number;
  /** Unmeasured creates per mode before the first round (default 20). */
  warmup?: number;
  /** Rounds the Jobs of each mode are split into (default 5). */
  rounds?: number;
  /** Highest acceptable p50 ratio, with / direct (default 1.2). */
  goal?: number;
  /** A running control plane; default: AGENTIFY_CLUSTER_STATE's, else a fresh one (stopped after). */
  cluster?: Cluster;
  log?: (line: string) => void;
}

export interface AdmissionBenchResult {
  without: LoadStats;
  with: LoadStats;
  /** Creating agentify's output directly, no webhook: the stored object as big as with it. */
  direct: LoadStats;
  /** Mean time the webhook itself took per agentified review (its own histogram). */
  webhookMeanMs: number;
  /** CPU ms per Job of the apiserver, by mode, and of the webhook in "with". */
  apiserverCpuMs: Record<Mode, number>;
  webhookCpuMs: number;
  p50Ratio: number;
  goal: number;
  pass: boolean;
}

const ms = (v: number): string => `${v.toFixed(1)} ms`;
const line = (name: string, s: LoadStats): string =>
  `  ${name.padEnd(22)} p50 ${ms(s.p50Ms).padStart(9)}  p99 ${ms(s.p99Ms).padStart(9)}  mean ${ms(s.meanMs).padStart(9)}  max ${ms(s.maxMs).padStart(9)}  ${s.jobsPerSecond.toFixed(0)} Jobs/s`;

function manifestWebhookEntry(): JsonObject {
  const mwc = parseYaml(readFileSync(MANIFEST_WEBHOOK, "utf8")) as JsonObject;
  const entry = (mwc["webhooks"] as JsonObject[] | undefined)?.[0];
  if (!entry) throw new Error(`${MANIFEST_WEBHOOK} has no webhook`);
  return entry;
}

export async function runAdmissionBench(opts: AdmissionBenchOptions = {}): Promise<AdmissionBenchResult> {
  const jobs = opts.jobs ?? 500;
  const concurrency = opts.concurrency ?? 10;
  const warmup = opts.warmup ?? 20;
  const rounds = Math.max(1, Math.min(opts.rounds ?? 5, jobs));
  const goal = opts.goal ?? 1.2;
  const log = opts.log ?? ((l: string) => console.log(l));
  const stateFile = process.env["AGENTIFY_CLUSTER_STATE"];
  const ownCluster = opts.cluster === undefined && !stateFile;
  // No node: the Jobs' pods stay Pending, and the kubelet and containerd add no noise.
  const cluster = opts.cluster ?? (stateFile ? attachCluster(stateFile) : await startCluster({ node: false }));
  const apiserverPid = cluster.processes.find((p) => p.name === "kube-apiserver")?.pid;
  const api = new KubeApi(cluster, concurrency);
  const certDir = mkdtempSync(join(tmpdir(), "agentify-admission-bench-"));
  const namespaces: string[] = [];
  let server: WebhookProcess | undefined;
  try {
    const ca = generateCa({ commonName: "agentify-bench-ca" });
    writeCertDir(certDir, { ca, serving: issueServingCert(ca, { service: "agentify-webhook", namespace: "agentify-system", ips: ["127.0.0.1"] }) });
    const webhook = await startWebhookProcess(certDir, ca.cert);
    // A webhook in a cluster has answered many reviews; without this, the measured ones would
    // run the core before V8 has optimized it.
    await webhook.warm(2000);
    server = webhook;
    const config = parseConfig(readFileSync(MANIFEST_CONFIG, "utf8"), MANIFEST_CONFIG);
    const entry = agentifyWebhookEntry(manifestWebhookEntry(), { url: webhook.url, caBundle: caBundle(certDir), namespaceLabel: LABEL });
    const nsFor: Record<Mode, string> = {
      without: await createNamespace(api, "bench-without"),
      direct: await createNamespace(api, "bench-direct"),
      with: await createNamespace(api, "bench-with", { [LABEL[0]]: LABEL[1] }),
    };
    namespaces.push(...Object.values(nsFor));
    for (const ns of namespaces) await waitForDefaultServiceAccount(api, ns);

    let registered: boolean | undefined;
    const register = async (on: boolean): Promise<void> => {
      if (registered === on) return;
      if (on) await putMutatingWebhookConfiguration(api, CONFIG_NAME, [entry]);
      else await deleteMutatingWebhookConfiguration(api, CONFIG_NAME);
      await (on ? waitUntilAgentified(api, nsFor.with) : waitUntilAdmittedBare(api, nsFor.with));
      registered = on;
    };
    const makeJob = (mode: Mode, prefix: string) => (i: number): JsonObject => {
      const job = bareJob({ namespace: nsFor[mode], name: `${prefix}-${i}` });
      if (mode === "direct") return agentify(job, config);
      (job["spec"] as JsonObject)["suspend"] = mode === "with"; // agentify unsuspends; see the header
      return job;
    };
    const measured = Object.fromEntries(MODES.map((m) => [m, { latenciesMs: [] as number[], wallMs: 0, agentified: 0, apiserverCpu: 0, webhookCpu: 0 }])) as
      Record<Mode, { latenciesMs: number[]; wallMs: number; agentified: number; apiserverCpu: number; webhookCpu: number }>;
    const cpu = (pid: number | undefined): number => (pid === undefined ? 0 : cpuSeconds(pid));
    const run = async (mode: Mode, first: number, count: number, prefix: string, record: boolean): Promise<void> => {
      await register(mode === "with");
      const [api0, hook0] = [cpu(apiserverPid), cpu(webhook.pid)];
      const r = await createJobs(api, nsFor[mode], first, count, concurrency, makeJob(mode, prefix));
      if (!record) return;
      measured[mode].latenciesMs.push(...r.latenciesMs);
      measured[mode].wallMs += r.wallMs;
      measured[mode].agentified += r.created.filter(isAgentified).length;
      measured[mode].apiserverCpu += cpu(apiserverPid) - api0;
      measured[mode].webhookCpu += cpu(webhook.pid) - hook0;
    };

    log(`admission benchmark: ${jobs} Jobs per mode in ${rounds} rounds, concurrency ${concurrency}, kube-apiserver at ${cluster.server}`);
    for (const mode of MODES) await run(mode, 0, warmup, "warmup", false);
    const before = await agentifiedAdmissionTime(webhook.metricsUrl);
    let done = 0;
    for (let round = 0; round < rounds; round++) {
      const count = Math.ceil((jobs - done) / (rounds - round));
      // ABBA order (with, direct, without | without, direct, with | ...): the registration already in place goes first.
      for (const mode of round % 2 === 0 ? [...MODES].reverse() : MODES) await run(mode, done, count, "job", true);
      done += count;
    }
    const after = await agentifiedAdmissionTime(webhook.metricsUrl);
    if (measured.without.agentified !== 0) throw new Error(`${measured.without.agentified} Jobs were agentified with no webhook registered`);
    if (measured.with.agentified !== jobs) throw new Error(`only ${measured.with.agentified} of ${jobs} Jobs were agentified`);

    const stats = Object.fromEntries(MODES.map((m) => [m, statsOf(measured[m].latenciesMs, measured[m].wallMs)])) as Record<Mode, LoadStats>;
    const webhookMeanMs = ((after.seconds - before.seconds) / Math.max(1, after.count - before.count)) * 1000;
    const p50Ratio = stats.with.p50Ms / stats.direct.p50Ms;
    const pass = p50Ratio <= goal;
    const perJob = (seconds: number): number => (seconds / jobs) * 1000;
    const apiserverCpuMs = Object.fromEntries(MODES.map((m) => [m, perJob(measured[m].apiserverCpu)])) as Record<Mode, number>;
    const webhookCpuMs = perJob(measured.with.webhookCpu);
    log(line("with webhook:", stats.with));
    log(line("direct (floor):", stats.direct));
    log(line("(bare, no webhook:)", stats.without));
    log(`  CPU per Job: apiserver ${MODES.map((m) => `${m} ${apiserverCpuMs[m].toFixed(2)} ms`).join(", ")}; webhook ${webhookCpuMs.toFixed(2)} ms`);
    log(`  webhook's own time per review: mean ${ms(webhookMeanMs)} (${after.count - before.count} reviews); with/bare p50 ${(stats.with.p50Ms / stats.without.p50Ms).toFixed(2)}`);
    log(`${pass ? "PASS" : "FAIL"} admission p50 through the webhook ${ms(stats.with.p50Ms)} <= ${goal} x creating the agentified Jobs directly (floor ${ms(stats.direct.p50Ms)}): ${p50Ratio.toFixed(2)}x`);
    return { without: stats.without, with: stats.with, direct: stats.direct, webhookMeanMs, apiserverCpuMs, webhookCpuMs, p50Ratio, goal, pass };
  } finally {
    await server?.stop();
    if (!ownCluster) {
      await deleteMutatingWebhookConfiguration(api, CONFIG_NAME).catch(() => {});
      for (const ns of namespaces) await deleteNamespace(api, ns).catch(() => {});
    }
    api.close();
    rmSync(certDir, { recursive: true, force: true });
    if (ownCluster) await cluster.stop();
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      strict: { type: "boolean", default: false },
      jobs: { type: "string", default: "500" },
      concurrency: { type: "string", default: "10" },
      rounds: { type: "string", default: "5" },
    },
  });
  const result = await runAdmissionBench({ jobs: Number(values.jobs), concurrency: Number(values.concurrency), rounds: Number(values.rounds) });
  if (values.strict && !result.pass) process.exitCode = 1;
}
