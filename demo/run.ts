// `make demo`: a real control plane (etcd, kube-apiserver, kube-controller-manager), the webhook
// with generated certificates, a stand-in for Buildkite's API with example steps, and the
// dispatcher. It shows each Buildkite job becoming an agentified Job, then stops everything
// (or on Ctrl-C).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { caBundle, generateCa, issueServingCert, writeCertDir } from "../certs/index.ts";
import { startDispatcher, type DispatcherHandle } from "../dispatcher/start.ts";
import { startCluster, type Cluster } from "../test/cluster/harness.ts";
import { startStandin, type StandinHandle } from "../test/standin/server.ts";
import { loadStepsFile } from "../test/standin/steps-file.ts";
import { configFromObject } from "../webhook/core/config/index.ts";
import type { Job } from "../webhook/core/k8s.ts";
import { startWebhook, type WebhookServer } from "../webhook/server/server.ts";
import { printAgentifiedJob, say, step, type AuditSummary } from "./print.ts";
import { webhookConfiguration } from "./webhook-configuration.ts";

const STEPS = fileURLToPath(new URL("../test/standin/example-steps.yaml", import.meta.url));
const NAMESPACE = "buildkite";
const TOKEN = "bkct_demo-token";

const stops: (() => Promise<unknown>)[] = [];
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    step("Stopping everything");
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => say(`  (stop failed: ${String(err)})`));
    say("  done");
  }
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(130));
process.on("SIGTERM", () => void stopAll(143));

/** The webhook's audit lines, kept for the printout instead of being dumped raw. */
const audits = new Map<string, AuditSummary>();
const auditStream = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
      const entry = JSON.parse(line) as AuditSummary & { jobUuid?: string; msg?: string };
      if (entry.msg === "admission review" && entry.jobUuid) audits.set(entry.jobUuid, entry);
    }
    done();
  },
});

async function main(): Promise<void> {
  step("Starting a real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)");
  const cluster: Cluster = await startCluster();
  stops.push(() => cluster.stop());
  say(`  ${cluster.server} ready in ${(cluster.startupMs / 1000).toFixed(1)} s`);

  step("Starting the Buildkite API stand-in with the example steps");
  const standin: StandinHandle = await startStandin({ token: TOKEN, host: "127.0.0.1" });
  stops.push(() => standin.stop());
  const { build, steps } = await loadStepsFile(STEPS);
  const uuids = standin.enqueueBuild(steps, build);
  steps.forEach((s, i) => say(`  scheduled ${uuids[i]}  ${s.label ?? s.key ?? ""}`));

  step("Starting the agentify webhook with a fresh CA");
  const certDir = mkdtempSync(join(tmpdir(), "agentify-demo-certs-"));
  stops.push(async () => rmSync(certDir, { recursive: true, force: true }));
  const ca = generateCa({});
  writeCertDir(certDir, { ca, serving: issueServingCert(ca, { service: "agentify-webhook", namespace: "agentify-system", ips: ["127.0.0.1"] }) });
  // One config for both, as in a cluster: the agents and the dispatcher talk to the same API.
  const config = configFromObject(
    { namespace: NAMESPACE, queue: "kubernetes", "max-in-flight": 10, "agent-config": { endpoint: standin.url } },
    "demo config",
  );
  const webhook: WebhookServer = await startWebhook({
    config, certDir, host: "127.0.0.1", port: 0, metricsPort: 0, logger: pino({ level: "info" }, auditStream),
  });
  stops.push(() => webhook.close());
  say(`  ${webhook.mutateUrl}`);

  step("Registering the MutatingWebhookConfiguration, namespace and agent token Secret");
  await cluster.kubectl(["apply", "-f", "-"], { input: webhookConfiguration(webhook.mutateUrl, caBundle(certDir), NAMESPACE, TOKEN), check: true });
  say(`  jobs labelled buildkite.com/job-uuid in namespace ${NAMESPACE} now go through the webhook`);

  step("Starting the dispatcher");
  const dispatcher: DispatcherHandle = await startDispatcher({
    config,
    kubeconfigPath: cluster.kubeconfigPath,
    env: { BUILDKITE_AGENT_TOKEN: TOKEN },
    logger: pino({ level: "warn" }),
  });
  stops.push(() => dispatcher.stop());
  say(`  stack ${dispatcher.stackKey} polling queue ${dispatcher.queueKey}`);

  step("Buildkite jobs becoming agentified Jobs");
  const shown = new Set<string>();
  const deadline = Date.now() + 90_000;
  while (shown.size < uuids.length && Date.now() < deadline) {
    const jobs = JSON.parse((await cluster.kubectl(["get", "jobs", "-n", NAMESPACE, "-o", "json"], { check: true })).stdout) as { items: Job[] };
    const pods = JSON.parse((await cluster.kubectl(["get", "pods", "-n", NAMESPACE, "-o", "json"], { check: true })).stdout) as {
      items: { metadata: { name: string; labels?: Record<string, string> } }[];
    };
    for (const job of jobs.items) {
      const uuid = job.metadata.labels?.["buildkite.com/job-uuid"];
      if (!uuid || shown.has(uuid)) continue;
      const pod = pods.items.find((p) => p.metadata.labels?.["buildkite.com/job-uuid"] === uuid);
      if (!pod) continue; // show it once the Job controller has made its Pod
      shown.add(uuid);
      printAgentifiedJob(job, audits.get(uuid), pod.metadata.name);
    }
    await sleep(1000);
  }
  const missing = uuids.filter((u) => !shown.has(u));
  step(missing.length === 0 ? `All ${uuids.length} Buildkite jobs were agentified` : `Not agentified in time: ${missing.join(", ")}`);
  await stopAll(missing.length === 0 ? 0 : 1);
}

main().catch(async (err: unknown) => {
  say(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll(1);
});
