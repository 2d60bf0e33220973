// The manifests installed for real on the test node: the image built by `make image`, `kubectl
// apply -k`, both Deployments running in the cluster (the dispatcher's two replicas under leader
// election: one leads, one stands by), the webhook reached through its Service,
// and a Buildkite job from the stand-in run to `finished` by the in-cluster dispatcher, webhook
// and the real buildkite-agent. Then, on the same install: certificate rotation (rotation.ts) and
// restarts under load (restarts.ts).
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { eventually } from "../support/wait.ts";
import { DISPATCHER_NS, install, QUEUE, WEBHOOK_NS } from "./install.ts";
import type { Installation } from "./install.ts";
import { dispatcherPods, leaderGauges, leaseHolder, podHttp } from "./leader.ts";
import { describeRestarts } from "./restarts.ts";
import { describeRotation } from "./rotation.ts";

interface PodView {
  name: string;
  ready: boolean;
  phase: string;
  imageIds: string[];
  readOnlyRoot: boolean[];
  probes: string[];
}

async function pods(i: Installation, namespace: string, app: string): Promise<PodView[]> {
  const list = await i.api.get(`/api/v1/namespaces/${namespace}/pods?labelSelector=app.kubernetes.io/name%3D${app}`);
  return (list["items"] as JsonObject[]).map((p) => {
    const meta = p["metadata"] as JsonObject;
    const spec = p["spec"] as { containers: { readinessProbe?: { httpGet?: { path: string } }; securityContext?: { readOnlyRootFilesystem?: boolean } }[] };
    const status = p["status"] as { phase: string; conditions?: { type: string; status: string }[]; containerStatuses?: { imageID: string }[] };
    return {
      name: String(meta["name"]),
      phase: status.phase,
      ready: (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
      imageIds: (status.containerStatuses ?? []).map((c) => c.imageID),
      readOnlyRoot: spec.containers.map((c) => c.securityContext?.readOnlyRootFilesystem === true),
      probes: spec.containers.map((c) => c.readinessProbe?.httpGet?.path ?? ""),
    };
  });
}

const PROBE_UUID = "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2c";

describe("install: the manifests on the real node", function () {
  this.timeout(300_000);
  let i: Installation;

  before(async function () {
    this.timeout(20 * 60_000);
    i = await install();
    const mib = (n: number): string => `${(n / 1048576).toFixed(1)} MiB`;
    console.log(`      image ${i.image.name}@${i.image.digest}: archive ${mib(i.image.archiveBytes)}, unpacked ${mib(i.image.unpackedBytes)}; apply to ready ${i.applyToReadyMs} ms`);
  });
  after(async function () {
    this.timeout(240_000);
    await i?.uninstall();
  });

  it("the webhook Deployment's two replicas become Ready through their probes, from the built image, read-only", async () => {
    const deploy = await i.api.get(`/apis/apps/v1/namespaces/${WEBHOOK_NS}/deployments/agentify-webhook`);
    expect((deploy["status"] as JsonObject)["readyReplicas"]).to.equal(2);
    const webhook = await pods(i, WEBHOOK_NS, "agentify-webhook");
    expect(webhook).to.have.length(2);
    for (const p of webhook) {
      expect(p.ready, p.name).to.equal(true);
      expect(p.probes, p.name).to.deep.equal(["/readyz"]);
      expect(p.readOnlyRoot, p.name).to.deep.equal([true]);
      expect(p.imageIds, p.name).to.deep.equal([i.image.id]);
    }
  });

  it("the dispatcher's two replicas are Running and Ready; one holds the Lease (gauge 1), the other stands by (gauge 0, ready); the stack is registered", async () => {
    const dispatchers = await pods(i, DISPATCHER_NS, "agentify-dispatcher");
    expect(dispatchers).to.have.length(2);
    for (const p of dispatchers) {
      expect([p.phase, p.ready], p.name).to.deep.equal(["Running", true]);
      expect(p.readOnlyRoot, p.name).to.deep.equal([true]);
      expect(p.imageIds, p.name).to.deep.equal([i.image.id]);
    }
    const names = dispatchers.map((p) => p.name);
    const holder = await eventually("a dispatcher pod holding the Lease", async () => {
      const h = await leaseHolder(i);
      return names.includes(h) ? h : undefined;
    }, 60_000, 500);
    const standby = names.find((n) => n !== holder) ?? "";
    expect(await leaderGauges(i, names)).to.deep.equal({ [holder]: 1, [standby]: 0 });
    expect(await podHttp(i, standby, "/readyz")).to.deep.equal({ status: 200, text: '{"ready":true}\n' });
    expect((await podHttp(i, standby, "/healthz")).status).to.equal(200);
    const ready = await dispatcherPods(i);
    const after = (name: string): string => `${String(ready.find((p) => p.name === name)?.readyAfterS)} s`;
    console.log(`      dispatcher pods Ready after creation: leader ${holder} ${after(holder)}, standby ${standby} ${after(standby)}`);
    const stacks = await eventually("a connected stack on the stand-in", async () => {
      const s = i.standin.stacks().filter((x) => x.state === "connected" && !x.deregistered);
      return s.length > 0 ? s : undefined;
    }, 60_000, 500);
    expect(stacks.map((s) => s.queueKey)).to.deep.equal([QUEUE]);
  });

  it("the MutatingWebhookConfiguration reaches the webhook pods through its Service", async () => {
    const mwc = await i.api.get("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/agentify");
    const clientConfig = ((mwc["webhooks"] as JsonObject[])[0] as JsonObject)["clientConfig"] as JsonObject;
    expect(clientConfig["url"]).to.equal(undefined);
    expect(clientConfig["service"]).to.deep.equal({ name: "agentify-webhook", namespace: WEBHOOK_NS, path: "/mutate/jobs", port: 443 });
    const name = `install-probe-${Date.now()}`;
    const job = {
      apiVersion: "batch/v1", kind: "Job",
      metadata: { name, namespace: DISPATCHER_NS, labels: { "buildkite.com/job-uuid": PROBE_UUID } },
      spec: { suspend: true, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", env: [{ name: "BUILDKITE_COMMAND", value: "true" }] }] } } },
    };
    const created = await i.api.create(`/apis/batch/v1/namespaces/${DISPATCHER_NS}/jobs`, job, true);
    const annotations = (created["metadata"] as JsonObject)["annotations"] as Record<string, string>;
    expect(annotations["buildkite.com/agentified"]).to.match(/^v\S+; input-sha256=[0-9a-f]+$/);
    // The review was answered by a pod: its audit line names the Job.
    const logs = await i.kubectl(["-n", WEBHOOK_NS, "logs", "-l", "app.kubernetes.io/name=agentify-webhook", "--tail=-1", "--prefix"]);
    expect(logs).to.include(name);
  });

  it("a Buildkite job on the stand-in runs to finished, exit 0, through the in-cluster dispatcher and webhook", async () => {
    const uuid = i.standin.enqueue({
      command: 'echo "Hello from the installed agentify"',
      image: i.node.images.busybox.name,
      agents: { queue: QUEUE },
      plugins: [{ kubernetes: { checkout: { skip: true } } }],
    });
    const record = await i.standin.waitForJob(uuid, (r) => r.state === "finished" || r.state === "canceled", 180_000);
    expect(record.state).to.equal("finished");
    expect(record.exit_status).to.equal("0");
    expect(record.finish_count).to.equal(1);
    expect(i.standin.jobLogPlain(uuid)).to.include("Hello from the installed agentify");
    const jobs = await i.api.get(`/apis/batch/v1/namespaces/${DISPATCHER_NS}/jobs?labelSelector=buildkite.com/job-uuid%3D${uuid}`);
    const [stored, ...others] = jobs["items"] as JsonObject[];
    expect(others).to.deep.equal([]);
    const annotations = ((stored?.["metadata"] as JsonObject)["annotations"] ?? {}) as Record<string, string>;
    expect(annotations["buildkite.com/agentified"]).to.be.a("string");
  });

  describeRotation(() => i);
  describeRestarts(() => i);
});
