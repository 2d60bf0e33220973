// The chart on the real node: `helm install` with the image `make image` builds, then a Buildkite
// job runs; `helm upgrade` with a changed config while a job runs, and that job still finishes
// once; `helm uninstall` leaves nothing of the release behind, only the Jobs the builds made.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { NODE_TOLERATION, sharedCluster } from "../../cluster/harness.ts";
import type { Cluster, NodeState } from "../../cluster/harness.ts";
import { freePorts } from "../../cluster/net.ts";
import { importImage, tagImage } from "../../cluster/node/node.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";
import type { JobRecord } from "../../standin/job-record.ts";
import { buildProjectImage } from "../install/image.ts";
import { agentifyCli, LOCAL_IMAGE_REPO, QUEUE } from "../install/install.ts";
import { APISERVER_NAME } from "../install/overlay.ts";
import { startRelay } from "../install/relay.ts";
import type { Relay } from "../install/relay.ts";
import { eventually } from "../support/wait.ts";
import { CHART, helm } from "./helm.ts";

const RELEASE = "ci";
const NS = "agentify-helm";
const FULLNAME = "ci-agentify";

describe("helm chart on the real node: install, a job, upgrade, uninstall", function () {
  this.timeout(300_000);
  let cluster: Cluster;
  let node: NodeState;
  let standin: StandinHandle;
  let relay: Relay;
  let dir: string;
  let helmEnv: Record<string, string>;
  const run = async (args: string[]): Promise<string> => {
    const res = await helm([...args, "--kubeconfig", cluster.kubeconfigPath], helmEnv);
    if (res.code !== 0) throw new Error(`helm ${args.join(" ")} exited ${res.code}:\n${res.stderr}\n${res.stdout}`);
    return res.stdout;
  };
  const kubectlJson = async (args: string[]): Promise<{ items: { metadata: { name: string; labels?: Record<string, string> }; kind?: string }[] }> =>
    JSON.parse((await cluster.kubectl([...args, "-o", "json"], { check: true })).stdout) as { items: { metadata: { name: string; labels?: Record<string, string> }; kind?: string }[] };
  const enqueue = (command: string): string =>
    standin.enqueue({ command, image: node.images.busybox.name, agents: { queue: QUEUE }, plugins: [{ kubernetes: { checkout: { skip: true } } }] });
  const finished = (uuid: string): Promise<JobRecord> => standin.waitForJob(uuid, (r) => r.state === "finished" || r.state === "canceled", 180_000);

  before(async function () {
    this.timeout(20 * 60_000);
    cluster = await sharedCluster();
    if (!cluster.node) throw new Error("the helm install test needs the test cluster's node");
    node = cluster.node;
    const image = await buildProjectImage();
    await importImage(node, image.tar, image.name);
    const localImage = `${LOCAL_IMAGE_REPO}:${image.digest.slice(7, 23)}`;
    await tagImage(node, image.name, localImage);
    const [port] = await freePorts(1);
    standin = await startStandin({ host: node.hostIp, port: port ?? 0, rateLimits: false, queues: [QUEUE], agent: { jobStatusIntervalSeconds: 1 } });
    const api = new URL(cluster.server);
    relay = await startRelay(node.hostIp, { host: api.hostname, port: Number(api.port) });
    dir = mkdtempSync(join(tmpdir(), "agentify-helm-"));
    helmEnv = { HELM_CACHE_HOME: join(dir, "cache"), HELM_CONFIG_HOME: join(dir, "config"), HELM_DATA_HOME: join(dir, "data") };
    const certs = join(dir, "certs");
    await agentifyCli(["certs", "generate", "--service", `${FULLNAME}-webhook`, "--namespace", NS, "--out-dir", certs]);
    const values = {
      agentToken: standin.token,
      image: localImage,
      tolerations: [NODE_TOLERATION],
      // This test cluster only: the apiserver through the relay (no kube-proxy; see test/e2e/install).
      hostAliases: [{ ip: node.hostIp, hostnames: [APISERVER_NAME] }],
      controllerEnv: [{ name: "KUBERNETES_SERVICE_HOST", value: APISERVER_NAME }, { name: "KUBERNETES_SERVICE_PORT", value: String(relay.port) }],
      webhook: {
        certs: {
          source: "values",
          tlsCrt: readFileSync(join(certs, "tls.crt"), "utf8"),
          tlsKey: readFileSync(join(certs, "tls.key"), "utf8"),
          caBundle: (await agentifyCli(["certs", "ca-bundle", "--out-dir", certs])).trim(),
        },
      },
      config: {
        "prometheus-port": 9216, queue: QUEUE, tags: [`queue=${QUEUE}`], image: node.images.agent.name,
        "default-image-pull-policy": "IfNotPresent", "default-image-check-pull-policy": "IfNotPresent",
        "pod-spec-patch": { tolerations: [NODE_TOLERATION], terminationGracePeriodSeconds: 5 },
        "agent-config": { endpoint: standin.url }, "poll-interval": "1s", "max-in-flight": 25,
      },
    };
    writeFileSync(join(dir, "values.json"), JSON.stringify(values), { mode: 0o600 });
  });

  after(async function () {
    this.timeout(240_000);
    if (!cluster) return;
    await helm(["uninstall", RELEASE, "-n", NS, "--wait", "--kubeconfig", cluster.kubeconfigPath], helmEnv).catch(() => undefined);
    await cluster.kubectl(["delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=180s"], { timeoutMs: 190_000 });
    await relay?.stop();
    await standin?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("helm install --wait: both Deployments ready, and a Buildkite job runs to finished", async () => {
    const t0 = Date.now();
    await run(["install", RELEASE, CHART, "-n", NS, "--create-namespace", "--values", join(dir, "values.json"), "--wait", "--timeout", "4m"]);
    console.log(`      helm install to ready: ${Date.now() - t0} ms`);
    const uuid = enqueue('echo "Hello from the chart"');
    const r = await finished(uuid);
    expect([r.state, r.exit_status, r.finish_count]).to.deep.equal(["finished", "0", 1]);
    expect(standin.jobLogPlain(uuid)).to.include("Hello from the chart");
  });

  it("helm upgrade with a changed config rolls both Deployments; the job running meanwhile finishes once", async () => {
    const running = enqueue('sleep 15; echo "survived the upgrade"');
    await eventually("the job running", async () => (standin.jobRecord(running).state === "running" ? true : undefined), 120_000, 500);
    const releasePods = async (): Promise<string[]> =>
      (await kubectlJson(["-n", NS, "get", "pods", "-l", `app.kubernetes.io/instance=${RELEASE}`])).items.map((p) => p.metadata.name);
    const before = await releasePods();
    expect(before).to.have.length(4); // two webhooks, two dispatchers
    await run(["upgrade", RELEASE, CHART, "-n", NS, "--reuse-values", "--set", "config.max-in-flight=10", "--wait", "--timeout", "4m"]);
    // The config's checksum is in both pod templates: every pod was replaced.
    await eventually("only new release pods", async () => {
      const now = await releasePods();
      return now.length === 4 && !now.some((n) => before.includes(n)) ? true : undefined;
    }, 120_000, 1000);
    const cm = JSON.parse((await cluster.kubectl(["-n", NS, "get", "configmap", `${FULLNAME}-config`, "-o", "json"], { check: true })).stdout) as { data: Record<string, string> };
    expect(cm.data["config.yaml"]).to.match(/^max-in-flight: 10$/m);
    const r = await finished(running);
    expect([r.state, r.exit_status, r.finish_count]).to.deep.equal(["finished", "0", 1]);
    expect(standin.jobLogPlain(running)).to.include("survived the upgrade");
    const after = enqueue('echo "after the upgrade"');
    expect((await finished(after)).exit_status).to.equal("0");
    const jobs = await kubectlJson(["-n", NS, "get", "jobs", "-l", "buildkite.com/job-uuid"]);
    const perUuid = jobs.items.map((j) => j.metadata.labels?.["buildkite.com/job-uuid"]).filter((u) => u === running || u === after);
    expect(perUuid.sort()).to.deep.equal([running, after].sort());
  });

  it("helm uninstall leaves nothing of the release: only the Jobs the builds made", async () => {
    await run(["uninstall", RELEASE, "-n", NS, "--wait", "--timeout", "3m"]);
    const left = await kubectlJson(["-n", NS, "get", "deployments,replicasets,services,configmaps,secrets,serviceaccounts,roles,rolebindings,poddisruptionbudgets", "-l", `app.kubernetes.io/instance=${RELEASE}`]);
    expect(left.items.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal([]);
    const mwc = await cluster.kubectl(["get", "mutatingwebhookconfiguration", FULLNAME]);
    expect(mwc.code, mwc.stdout).to.not.equal(0);
    // The release's pods go after their ReplicaSets, with their grace period.
    await eventually("no pods but the jobs' in the namespace", async () => {
      const pods = await kubectlJson(["-n", NS, "get", "pods"]);
      return pods.items.every((p) => p.metadata.labels?.["buildkite.com/job-uuid"] !== undefined) ? true : undefined;
    }, 120_000, 1000);
  });
});
