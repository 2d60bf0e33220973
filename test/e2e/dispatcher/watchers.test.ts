// After creation: pods that cannot pull their image, pods pending too long and Jobs that fail
// before the agent acquires the job are reported to Buildkite with a precise reason. Our control
// plane has no kubelet, so pod status is written through the API, as a kubelet would.
import { expect } from "chai";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { DispatcherHandle } from "../../../dispatcher/start.ts";
import { DispatcherEnv, QUEUE, waitFor } from "./env.ts";

const PENDING_TIMEOUT_S = 10;

describe("dispatcher e2e: watchers report jobs that can no longer run", function () {
  this.timeout(120_000);
  let e: DispatcherEnv;
  let dispatcher: DispatcherHandle;

  before(async () => {
    e = await DispatcherEnv.create({ config: { "pod-pending-timeout": `${PENDING_TIMEOUT_S}s`, "image-pull-backoff-grace-period": "1s" } });
    dispatcher = await e.startDispatcher();
  });
  after(() => e?.cleanup());

  async function podOf(uuid: string): Promise<string> {
    let name = "";
    await waitFor(`a pod for ${uuid}`, async () => {
      const pods = await e.kube.core.listNamespacedPod({ namespace: e.namespace, labelSelector: `buildkite.com/job-uuid=${uuid}` });
      name = pods.items[0]?.metadata?.name ?? "";
      return name !== "";
    }, 20_000);
    return name;
  }

  async function writePodStatus(name: string, status: Record<string, unknown>): Promise<void> {
    await e.kube.core.patchNamespacedPodStatus({ namespace: e.namespace, name, body: { status } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch));
  }

  async function finishDetail(uuid: string, timeoutMs = 20_000): Promise<string> {
    await waitFor(`finish of ${uuid}`, () => e.standin.job(uuid)?.finish?.by === "stack", timeoutMs);
    expect(e.standin.job(uuid)?.finish?.exitStatus).to.equal(-1);
    return e.standin.job(uuid)?.finish?.detail ?? "";
  }

  const waiting = (name: string, image: string, reason: string, message: string) =>
    ({ name, image, imageID: "", ready: false, restartCount: 0, started: false, state: { waiting: { reason, message } } });

  it("finishes a job whose image cannot be pulled, naming the container and image, and deletes the pod", async () => {
    const uuid = e.standin.enqueue({ command: "x", agents: { queue: QUEUE }, plugins: [{ kubernetes: { podSpec: { containers: [{ name: "app", image: "registry.invalid/nope:1" }] } } }] });
    const pod = await podOf(uuid);
    await writePodStatus(pod, {
      startTime: new Date(Date.now() - 5000).toISOString(),
      containerStatuses: [waiting("app", "registry.invalid/nope:1", "ImagePullBackOff", 'Back-off pulling image "registry.invalid/nope:1"')],
    });
    const detail = await finishDetail(uuid);
    expect(detail).to.match(/^The following containers could not be created or their images could not be pulled:\n\nCONTAINER\s+IMAGE\s+REASON\s+MESSAGE\napp\s+"registry\.invalid\/nope:1"\s+ImagePullBackOff\s+Back-off pulling image/);
    await waitFor("the pod to be deleted", async () => {
      const pods = await e.kube.core.listNamespacedPod({ namespace: e.namespace, labelSelector: `buildkite.com/job-uuid=${uuid}` });
      return pods.items.every((p) => p.metadata?.name !== pod || p.metadata.deletionTimestamp !== undefined);
    });
  });

  it("finishes a job whose pod failed before the agent acquired it, with the Kubernetes events", async () => {
    const uuid = e.standin.enqueue({ command: "x", agents: { queue: QUEUE } });
    const pod = await podOf(uuid);
    await writePodStatus(pod, {
      phase: "Failed", reason: "Evicted", message: "The node was low on resource: memory.",
      containerStatuses: [{ name: "container-0", image: "x", imageID: "", ready: false, restartCount: 0, started: false, state: { terminated: { exitCode: 137, reason: "OOMKilled" } } }],
    });
    const detail = await finishDetail(uuid);
    expect(detail).to.match(/^The Kubernetes Job buildkite-\S+ failed \(BackoffLimitExceeded: [^)]*\) before the buildkite-agent acquired this Buildkite job/);
    expect(detail).to.match(/\nEvents:\nLAST SEEN\s+COUNT\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
    expect(detail).to.contain("SuccessfulCreate");
    await waitFor("the slot to return", () => dispatcher.ledger.inFlight() === 0 || e.standin.jobs().every((j) => j.state !== "reserved"));
  });

  it("leaves a job alone when its agent finished it", async () => {
    const uuid = e.standin.enqueue({ command: "x", agents: { queue: QUEUE } });
    const pod = await podOf(uuid);
    e.standin.acquire(uuid);
    e.standin.start(uuid);
    e.standin.complete(uuid, 1);
    await writePodStatus(pod, { phase: "Failed", containerStatuses: [{ name: "container-0", image: "x", imageID: "", ready: false, restartCount: 0, started: false, state: { terminated: { exitCode: 1, reason: "Error" } } }] });
    await waitFor("the Job to fail", async () => (await e.kube.readJob(`buildkite-${uuid}`)).status?.conditions?.some((c) => c.type === "Failed" && c.status === "True") ?? false);
    await new Promise((r) => setTimeout(r, 1500));
    expect(e.standin.job(uuid)?.finish?.by).to.equal("agent");
  });

  it("finishes a job whose pod stays Pending longer than pod-pending-timeout", async () => {
    const uuid = e.standin.enqueue({ command: "x", agents: { queue: QUEUE } });
    const pod = await podOf(uuid);
    await writePodStatus(pod, { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/0 nodes are available", lastTransitionTime: new Date().toISOString() }] });
    const detail = await finishDetail(uuid, (PENDING_TIMEOUT_S + 15) * 1000);
    expect(detail).to.match(new RegExp(`^The pod ${pod} has been in Pending state for \\d+s without starting\\.\\n\\nPod Conditions:\\n  - PodScheduled: False \\(Reason: Unschedulable, Message: 0/0 nodes are available\\)`));
  });
});
