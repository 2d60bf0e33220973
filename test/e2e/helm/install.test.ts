// The chart on the real node with its defaults: self-managed certificates (hook Jobs running
// `agentify certs`) and two dispatchers with leader election. `helm install` with the image
// `make image` builds, then Buildkite jobs run, one of them queued before the install; `helm
// upgrade` with a changed config while a job runs keeps the certificate and the caBundle and the
// job finishes once; `helm rollback` to the first revision gets its caBundle back; `helm
// uninstall` leaves only the Jobs the builds made and the dispatcher's Lease.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { parseAllDocuments } from "yaml";
import { NODE_TOLERATION, sharedCluster } from "../../cluster/harness.ts";
import type { Cluster, NodeState } from "../../cluster/harness.ts";
import { freePorts } from "../../cluster/net.ts";
import { importImage, tagImage } from "../../cluster/node/node.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";
import type { JobRecord } from "../../standin/job-record.ts";
import { buildProjectImage } from "../install/image.ts";
import { LOCAL_IMAGE_REPO, QUEUE } from "../install/install.ts";
import { APISERVER_NAME } from "../install/overlay.ts";
import { startRelay } from "../install/relay.ts";
import type { Relay } from "../install/relay.ts";
import { eventually } from "../support/wait.ts";
import { CHART, helm } from "./helm.ts";
import { caBundles, ClusterObjects, secretCerts } from "./objects.ts";

const RELEASE = "ci";
const NS = "agentify-helm";
const FULLNAME = "ci-agentify";
const TLS_SECRET = `${FULLNAME}-webhook-selfmanaged-tls`;
const HOOK = `${FULLNAME}-certs`;
const LEASE = `${FULLNAME}-dispatcher`;
const INSTANCE = `app.kubernetes.io/instance=${RELEASE}`;

describe("helm chart on the real node: self-managed certificates, two dispatchers, install, upgrade, rollback, uninstall", function () {
  this.timeout(300_000);
  let cluster: Cluster;
  let node: NodeState;
  let standin: StandinHandle;
  let relay: Relay;
  let dir: string;
  let helmEnv: Record<string, string>;
  let objects: ClusterObjects;
  let early: string;
  const run = async (args: string[]): Promise<string> => {
    const res = await helm([...args, "--kubeconfig", cluster.kubeconfigPath], helmEnv);
    if (res.code !== 0) throw new Error(`helm ${args.join(" ")} exited ${res.code}:\n${res.stderr}\n${res.stdout}`);
    return res.stdout;
  };
  const enqueue = (command: string): string =>
    standin.enqueue({ command, image: node.images.busybox.name, agents: { queue: QUEUE }, plugins: [{ kubernetes: { checkout: { skip: true } } }] });
  const finished = (uuid: string): Promise<JobRecord> => standin.waitForJob(uuid, (r) => r.state === "finished" || r.state === "canceled", 180_000);
  const outcome = (r: JobRecord): unknown[] => [r.state, r.exit_status, r.finish_count];
  const secretCa = async (): Promise<string> => (await objects.secret(TLS_SECRET))?.data["ca.crt"] ?? "(no Secret)";
  /** The webhook and dispatcher pods (hook pods may still be going). */
  const releasePods = async (): Promise<string[]> =>
    (await objects.pods(INSTANCE)).filter((p) => p.component === "webhook" || p.component === "dispatcher").map((p) => p.name);
  /** Two Ready dispatcher pods, and one of them holds the Lease. */
  const twoDispatchersOneLeader = async (): Promise<{ pods: string[]; holder: string }> =>
    eventually("two ready dispatchers, one holding the Lease", async () => {
      const pods = (await objects.pods(`${INSTANCE},app.kubernetes.io/component=dispatcher`)).filter((p) => p.ready).map((p) => p.name);
      const holder = await objects.leaseHolder(LEASE);
      return pods.length === 2 && holder !== undefined && pods.includes(holder) ? { pods, holder } : undefined;
    }, 60_000, 500);
  const hookLeftovers = async (): Promise<string[]> => [
    ...await objects.list("jobs,pods,serviceaccounts,roles,rolebindings", "app.kubernetes.io/component=certs"),
    ...await objects.list("clusterroles,clusterrolebindings", `${INSTANCE},app.kubernetes.io/component=certs`, false),
  ];

  before(async function () {
    this.timeout(20 * 60_000);
    cluster = await sharedCluster();
    if (!cluster.node) throw new Error("the helm install test needs the test cluster's node");
    node = cluster.node;
    objects = new ClusterObjects(cluster, NS);
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
    // This test cluster only: the apiserver through the relay (no kube-proxy; see test/e2e/install).
    const apiserverEnv = [{ name: "KUBERNETES_SERVICE_HOST", value: APISERVER_NAME }, { name: "KUBERNETES_SERVICE_PORT", value: String(relay.port) }];
    const values = {
      agentToken: standin.token,
      image: localImage,
      tolerations: [NODE_TOLERATION],
      hostAliases: [{ ip: node.hostIp, hostnames: [APISERVER_NAME] }],
      controllerEnv: apiserverEnv,
      webhook: { certs: { selfManaged: { env: apiserverEnv } } },
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
    await cluster.kubectl(["delete", "clusterrole,clusterrolebinding", HOOK, "--ignore-not-found"]);
    await cluster.kubectl(["delete", "namespace", NS, "--ignore-not-found", "--wait=true", "--timeout=180s"], { timeoutMs: 190_000 });
    await relay?.stop();
    await standin?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("helm install --wait: the hook made the Secret, the webhook configuration has its CA, two dispatchers, one leader, and jobs run", async () => {
    // Queued before the install: the dispatcher may take it before the post-install hook has
    // written the caBundle, and must then retry the create, not fail the job.
    early = enqueue('echo "queued before the install"');
    const t0 = Date.now();
    await run(["install", RELEASE, CHART, "-n", NS, "--create-namespace", "--values", join(dir, "values.json"), "--wait", "--timeout", "4m"]);
    console.log(`      helm install to ready, hooks included: ${Date.now() - t0} ms`);

    const secret = await objects.secret(TLS_SECRET);
    expect(secret, TLS_SECRET).to.exist;
    if (!secret) return;
    expect(secret.type).to.equal("kubernetes.io/tls");
    expect(Object.keys(secret.data).sort()).to.deep.equal(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect(secret.metadata.labels?.["app.kubernetes.io/instance"]).to.equal(RELEASE);
    const { ca, tls } = secretCerts(secret);
    expect(tls.verify(ca.publicKey), "tls.crt is signed by ca.crt").to.equal(true);
    expect(tls.subjectAltName).to.include(`DNS:${FULLNAME}-webhook.${NS}.svc`);
    const mwc = await objects.webhookConfiguration(FULLNAME);
    expect(caBundles(mwc)).to.deep.equal([secret.data["ca.crt"]]);
    // The window without a caBundle: from Helm's create to the post-install hook's patch (seconds).
    const patchedAt = (mwc?.metadata.managedFields ?? []).filter((f) => f.operation === "Update" && JSON.stringify(f.fieldsV1 ?? {}).includes("caBundle")).map((f) => Date.parse(f.time ?? ""));
    console.log(`      webhook configuration created ${mwc?.metadata.creationTimestamp}, caBundle written ${(Math.max(...patchedAt) - Date.parse(mwc?.metadata.creationTimestamp ?? "")) / 1000} s later`);
    expect(secret.metadata.ownerReferences).to.deep.equal([{ apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", name: FULLNAME, uid: mwc?.metadata.uid }]);
    // Helm deleted every hook object once its phase succeeded.
    await eventually("no hook objects left", async () => ((await hookLeftovers()).length === 0 ? true : undefined), 60_000, 500)
      .catch(async (err: unknown) => { throw new Error(`${String(err)}: ${(await hookLeftovers()).join(", ")}`); });

    const { pods, holder } = await twoDispatchersOneLeader();
    console.log(`      dispatchers ${pods.join(", ")}; Lease ${LEASE} held by ${holder}`);
    const uuid = enqueue('echo "Hello from the chart"');
    for (const [job, text] of [[early, "queued before the install"], [uuid, "Hello from the chart"]] as const) {
      const r = await finished(job);
      expect(outcome(r), text).to.deep.equal(["finished", "0", 1]);
      expect(standin.jobLogPlain(job)).to.include(text);
    }
    const logs = (await cluster.kubectl(["-n", NS, "logs", "-l", `${INSTANCE},app.kubernetes.io/component=dispatcher`, "--tail=-1"])).stdout;
    const retried = logs.split("\n").filter((l) => l.includes("could not create Kubernetes Job yet") && l.includes("webhook-unavailable")).length;
    console.log(`      creates retried while the webhook was unreachable or untrusted (before the caBundle): ${retried}`);
  });

  it("helm upgrade with a changed config rolls every pod, keeps the certificate and the caBundle untouched, and the job running meanwhile finishes once", async () => {
    const running = enqueue('sleep 15; echo "survived the upgrade"');
    await eventually("the job running", async () => (standin.jobRecord(running).state === "running" ? true : undefined), 120_000, 500);
    const before = await releasePods();
    expect(before).to.have.length(4);
    const secretBefore = await objects.secret(TLS_SECRET);
    const mwcBefore = await objects.webhookConfiguration(FULLNAME);
    await run(["upgrade", RELEASE, CHART, "-n", NS, "--reuse-values", "--set", "config.max-in-flight=10", "--wait", "--timeout", "4m"]);
    // The config's checksum is in both pod templates: every pod was replaced.
    await eventually("only new release pods", async () => {
      const now = await releasePods();
      return now.length === 4 && !now.some((n) => before.includes(n)) ? true : undefined;
    }, 120_000, 1000);
    const cm = JSON.parse((await cluster.kubectl(["-n", NS, "get", "configmap", `${FULLNAME}-config`, "-o", "json"], { check: true })).stdout) as { data: Record<string, string> };
    expect(cm.data["config.yaml"]).to.match(/^max-in-flight: 10$/m);

    // ensure-secret kept the Secret without writing it; the render carried the CA (lookup), so
    // Helm's patch left the caBundle alone and inject-ca-bundle had nothing to do.
    const secretAfter = await objects.secret(TLS_SECRET);
    expect(secretAfter?.metadata.resourceVersion, "the Secret was not written").to.equal(secretBefore?.metadata.resourceVersion);
    expect(secretAfter?.data["tls.crt"]).to.equal(secretBefore?.data["tls.crt"]);
    const mwcAfter = await objects.webhookConfiguration(FULLNAME);
    expect(mwcAfter?.metadata.resourceVersion, "the webhook configuration was not written").to.equal(mwcBefore?.metadata.resourceVersion);
    expect(caBundles(mwcAfter)).to.deep.equal([secretBefore?.data["ca.crt"]]);
    const manifest = parseAllDocuments(await run(["get", "manifest", RELEASE, "-n", NS])).map((d) => d.toJS() as { kind?: string; webhooks?: { clientConfig: { caBundle?: string } }[] } | null);
    const rendered = manifest.find((d) => d?.kind === "MutatingWebhookConfiguration");
    expect(rendered?.webhooks?.[0]?.clientConfig.caBundle, "revision 2 renders the Secret's CA").to.equal(secretBefore?.data["ca.crt"]);

    const r = await finished(running);
    expect(outcome(r)).to.deep.equal(["finished", "0", 1]);
    expect(standin.jobLogPlain(running)).to.include("survived the upgrade");
    const after = enqueue('echo "after the upgrade"');
    expect((await finished(after)).exit_status).to.equal("0");
    const jobs = JSON.parse((await cluster.kubectl(["-n", NS, "get", "jobs", "-l", "buildkite.com/job-uuid", "-o", "json"], { check: true })).stdout) as { items: { metadata: { labels: Record<string, string> } }[] };
    const perUuid = jobs.items.map((j) => j.metadata.labels["buildkite.com/job-uuid"]).filter((u) => u === running || u === after);
    expect(perUuid.sort()).to.deep.equal([running, after].sort());
    await twoDispatchersOneLeader();
    expect(await hookLeftovers()).to.deep.equal([]);
  });

  it("helm rollback to the first revision, whose render has no caBundle: the post-rollback hook writes it back", async () => {
    const ca = await secretCa();
    // When the caBundle was seen missing: the window the README documents.
    const missing: number[] = [];
    let polling = true;
    const watch = (async () => {
      while (polling) {
        if (caBundles(await objects.webhookConfiguration(FULLNAME))[0] === "") missing.push(Date.now());
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const t0 = Date.now();
    await run(["rollback", RELEASE, "1", "-n", NS, "--wait", "--timeout", "4m"]);
    polling = false;
    await watch;
    const span = missing.length > 0 ? `from ${(missing[0] ?? 0) - t0} ms to ${(missing[missing.length - 1] ?? 0) - t0} ms after the rollback began` : "never";
    console.log(`      rollback took ${Date.now() - t0} ms; caBundle seen missing ${span}`);
    expect(caBundles(await objects.webhookConfiguration(FULLNAME))).to.deep.equal([ca]);
    expect(await secretCa()).to.equal(ca);
    const uuid = enqueue('echo "after the rollback"');
    expect(outcome(await finished(uuid))).to.deep.equal(["finished", "0", 1]);
  });

  it("helm uninstall leaves only the Jobs the builds made and the dispatcher's Lease; the Secret goes with its owner", async () => {
    await run(["uninstall", RELEASE, "-n", NS, "--wait", "--timeout", "3m"]);
    const kinds = "deployments,replicasets,services,configmaps,serviceaccounts,roles,rolebindings,poddisruptionbudgets,jobs";
    expect(await objects.list(kinds, INSTANCE)).to.deep.equal([]);
    expect(await objects.webhookConfiguration(FULLNAME)).to.equal(undefined);
    expect(await objects.list("clusterroles,clusterrolebindings", INSTANCE, false)).to.deep.equal([]);
    // The garbage collector deletes the Secret after its owner, the webhook configuration.
    await eventually("the TLS Secret gone", async () => ((await objects.secret(TLS_SECRET)) === undefined ? true : undefined), 60_000, 500);
    expect(await objects.list("secrets", INSTANCE)).to.deep.equal([]);
    // The dispatcher makes its Lease at run time; Helm never owned it.
    expect(await objects.list("leases")).to.deep.equal([`Lease/${LEASE}`]);
    await eventually("no pods but the jobs' in the namespace", async () => {
      const pods = await objects.get<{ items: { metadata: { labels?: Record<string, string> } }[] }>(["pods"]);
      return (pods?.items ?? []).every((p) => p.metadata.labels?.["buildkite.com/job-uuid"] !== undefined) ? true : undefined;
    }, 120_000, 1000);
  });
});
