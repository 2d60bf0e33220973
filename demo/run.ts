// `make demo`: the whole system with jobs really running. A real cluster (control plane and one node,
// built from Go modules on the first run), a git server and the Buildkite stand-in on the node's host
// address, the agentify webhook and dispatcher. It schedules the example build, shows for each job
// the webhook's audit line, the pod's phases, the job log the real buildkite-agent uploaded and the
// final Buildkite state, then stops everything (also on Ctrl-C).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { caBundle, generateCa, issueServingCert, writeCertDir } from "../certs/index.ts";
import { startDispatcher, type DispatcherHandle } from "../dispatcher/start.ts";
import { NODE_TOLERATION, startCluster, type Cluster } from "../test/cluster/harness.ts";
import { freePorts } from "../test/cluster/net.ts";
import { startStandin, type StandinHandle } from "../test/standin/server.ts";
import { startGitServer } from "../test/support/git-server.ts";
import { configFromObject } from "../webhook/core/config/index.ts";
import { startWebhook, type WebhookServer } from "../webhook/server/server.ts";
import { printJob, say, step, type AuditSummary } from "./print.ts";
import { demoBuild, QUEUE } from "./steps.ts";
import { PodPhases } from "./pod-phases.ts";
import { webhookConfiguration } from "./webhook-configuration.ts";

const NAMESPACE = "buildkite";
const TOKEN = "bkct_demo-token";
const DEADLINE_MS = 180_000;

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
  step("Starting a real Kubernetes cluster: etcd, kube-apiserver, controller manager, scheduler and one node");
  say("  (the first run builds them, containerd, runc, the CNI plugins, buildkite-agent and the images: about 20 minutes)");
  const cluster: Cluster = await startCluster();
  stops.push(() => cluster.stop());
  const node = cluster.node;
  if (!node) throw new Error("the cluster has no node");
  say(`  ${cluster.server} and node ${node.name} (${node.hostIp}) ready in ${(cluster.startupMs / 1000).toFixed(1)} s`);

  step(`Starting a git server and the Buildkite API stand-in on the node's host address ${node.hostIp}`);
  const git = await startGitServer({ host: node.hostIp });
  stops.push(() => git.stop());
  const [port] = await freePorts(1);
  const standin: StandinHandle = await startStandin({ token: TOKEN, host: node.hostIp, port: port ?? 0, queues: [QUEUE] });
  stops.push(() => standin.stop());
  say(`  ${git.baseUrl} and ${standin.url}`);

  step("Starting the agentify webhook with a fresh CA");
  const certDir = mkdtempSync(join(tmpdir(), "agentify-demo-certs-"));
  stops.push(async () => rmSync(certDir, { recursive: true, force: true }));
  const ca = generateCa({});
  writeCertDir(certDir, { ca, serving: issueServingCert(ca, { service: "agentify-webhook", namespace: "agentify-system", ips: ["127.0.0.1"] }) });
  // One config for both, as in a cluster: the agents and the dispatcher talk to the same API.
  const config = configFromObject({
    namespace: NAMESPACE, queue: QUEUE, "max-in-flight": 10, "poll-interval": "1s",
    image: node.images.agent.name,
    "default-image-pull-policy": "IfNotPresent", "default-image-check-pull-policy": "IfNotPresent",
    // The test node is tainted: only pods that tolerate it run there.
    "pod-spec-patch": { tolerations: [NODE_TOLERATION], terminationGracePeriodSeconds: 5 },
    "agent-config": { endpoint: standin.url },
  }, "demo config");
  const webhook: WebhookServer = await startWebhook({
    config, certDir, host: "127.0.0.1", port: 0, metricsPort: 0, logger: pino({ level: "info" }, auditStream),
  });
  stops.push(() => webhook.close());
  say(`  ${webhook.mutateUrl}`);

  step("Registering the MutatingWebhookConfiguration, namespace and agent token Secret");
  await cluster.kubectl(["apply", "-f", "-"], { input: webhookConfiguration(webhook.mutateUrl, caBundle(certDir), NAMESPACE, TOKEN), check: true });
  stops.push(() => cluster.kubectl(["delete", "mutatingwebhookconfiguration", "agentify-demo", "--ignore-not-found"]));
  say(`  jobs labelled buildkite.com/job-uuid in namespace ${NAMESPACE} now go through the webhook`);

  step("Scheduling the example build on the stand-in");
  const { build, steps } = await demoBuild(git, node.images.busybox.name);
  const uuids = standin.enqueueBuild(steps.map((s) => s.step), build);
  steps.forEach((s, i) => say(`  scheduled ${uuids[i] ?? "?"}  ${s.step.label ?? ""}`));

  step("Starting the dispatcher");
  const dispatcher: DispatcherHandle = await startDispatcher({
    config, kubeconfigPath: cluster.kubeconfigPath, env: { BUILDKITE_AGENT_TOKEN: TOKEN }, logger: pino({ level: "warn" }),
  });
  stops.push(() => dispatcher.stop());
  say(`  stack ${dispatcher.stackKey} polling queue ${dispatcher.queueKey}`);

  step("Buildkite jobs running on the node");
  const phases = new PodPhases(cluster, NAMESPACE);
  const shown = new Set<string>();
  const endedAt = new Map<string, number>();
  let allAsExpected = true;
  const deadline = Date.now() + DEADLINE_MS;
  while (shown.size < uuids.length && Date.now() < deadline) {
    await phases.poll();
    uuids.forEach((uuid, i) => {
      const record = standin.jobRecord(uuid);
      const demo = steps[i];
      if (shown.has(uuid) || !demo || (record.state !== "finished" && record.state !== "canceled")) return;
      // Show the job once its pod is done too (the agent finishes the job a moment before that).
      const ended = endedAt.get(uuid) ?? Date.now();
      endedAt.set(uuid, ended);
      const last = phases.of(uuid).at(-1);
      if (last !== "Succeeded" && last !== "Failed" && Date.now() - ended < 20_000) return;
      shown.add(uuid);
      const ok = printJob({
        label: demo.step.label ?? uuid, uuid, expect: demo.expect, audit: audits.get(uuid),
        podName: phases.podName(uuid), phases: phases.of(uuid), record, log: standin.jobLogPlain(uuid),
      });
      allAsExpected &&= ok;
    });
    await sleep(500);
  }
  const missing = uuids.filter((u) => !shown.has(u));
  if (missing.length > 0) say(`\n  not finished after ${DEADLINE_MS / 1000} s: ${missing.join(", ")}`);
  const ok = missing.length === 0 && allAsExpected;
  step(ok ? `All ${String(uuids.length)} Buildkite jobs ran and ended as expected` : "Some jobs did not end as expected (see above)");
  await stopAll(ok ? 0 : 1);
}

main().catch(async (err: unknown) => {
  say(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}`);
  await stopAll(1);
});
