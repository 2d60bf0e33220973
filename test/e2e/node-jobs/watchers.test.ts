// The dispatcher's watchers against the real kubelet: each way a pod fails ends with its Buildkite
// job finished exactly once, with the precise reason, within the configured time. The pod status
// here is the kubelet's own (test/e2e/dispatcher/watchers.test.ts writes it by hand).
import { expect } from "chai";
import type { JobRecord } from "../../standin/job-record.ts";
import type { StepSpec } from "../../standin/types.ts";
import { commandStep, JobsEnv } from "../jobs/env.ts";
import { PodRecorder } from "./pod-recorder.ts";
import { containerLog, containerStatus, expectFinishedOnce, isTerminal, ms, stackFinishDetail, terminated } from "./pods.ts";

const PENDING_TIMEOUT_S = 8;
const IMAGE_PULL_GRACE_S = 1;
/** Room for a loaded 2-core machine between the moment a watcher may act and the finish. */
const SLACK_MS = 20_000;
const MISSING_IMAGE = "localhost/agentify/missing:1";
// Under these limits busybox `tail` buffers /dev/zero (no newline ever comes) until the kernel kills it.
const OOM_SCRIPT = "head -c 300m /dev/zero | tail";

interface Scheduled {
  id: string;
  at: number;
}

function schedule(e: JobsEnv, step: StepSpec): Scheduled {
  return { id: e.schedule(step), at: Date.now() };
}

/** A skip-checkout step whose plugin config adds `kubernetes` keys (podSpec, podSpecPatch). */
function pluginStep(command: string, image: string, kubernetes: Record<string, unknown>): StepSpec {
  return commandStep(command, image, { plugins: [{ kubernetes: { checkout: { skip: true }, ...kubernetes } }] });
}

const finishedAt = (record: JobRecord): number => new Date(record.finished_at ?? 0).getTime();
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("watchers on the real node: failed pods finish their Buildkite job once, with the reason", function () {
  this.timeout(120_000);
  let e: JobsEnv;
  /** pod-pending-timeout is short here, so only the unschedulable pod runs in it. */
  let pending: JobsEnv;
  /** No agent token Secret in this namespace. */
  let noSecret: JobsEnv;
  const recorders = new Map<JobsEnv, PodRecorder>();
  const jobs: Record<string, Scheduled> = {};

  before(async function () {
    this.timeout(10 * 60_000);
    [e, pending, noSecret] = await Promise.all([
      JobsEnv.create({ config: { "image-pull-backoff-grace-period": `${IMAGE_PULL_GRACE_S}s` } }),
      JobsEnv.create({ config: { "pod-pending-timeout": `${PENDING_TIMEOUT_S}s` } }),
      JobsEnv.create({ noTokenSecret: true, config: { "image-pull-backoff-grace-period": `${IMAGE_PULL_GRACE_S}s` } }),
    ]);
    for (const env of [e, pending, noSecret]) recorders.set(env, await PodRecorder.start(env));
    await Promise.all([e.env.startDispatcher(), pending.env.startDispatcher(), noSecret.env.startDispatcher()]);
    const bb = e.busybox;
    const initContainer = (name: string, script: string, extra: Record<string, unknown> = {}) =>
      ({ name, image: bb, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", script], ...extra });
    // Every case starts at once; each test then waits for its own.
    jobs["missingImage"] = schedule(e, commandStep("echo never runs", MISSING_IMAGE));
    jobs["initFails"] = schedule(e, pluginStep("echo never runs", bb, { podSpec: { initContainers: [initContainer("prepare", "echo preparing; exit 7")] } }));
    jobs["initOom"] = schedule(e, pluginStep("echo never runs", bb, {
      podSpec: { initContainers: [initContainer("prepare", OOM_SCRIPT, { resources: { limits: { memory: "32Mi" } } })] },
    }));
    jobs["commandOom"] = schedule(e, pluginStep(`echo allocating; ${OOM_SCRIPT}`, bb, {
      // The command container also runs two buildkite-agent processes: room for them, not for tail.
      podSpecPatch: { containers: [{ name: "container-0", resources: { limits: { memory: "96Mi" } } }] },
    }));
    jobs["deletedRunning"] = schedule(e, commandStep("echo command started; sleep 300", bb));
    jobs["deletedInInit"] = schedule(e, pluginStep("echo never runs", bb, { podSpec: { initContainers: [initContainer("slow-init", "exec sleep 300")] } }));
    jobs["unschedulable"] = schedule(pending, pluginStep("echo never runs", bb, { podSpecPatch: { nodeSelector: { "agentify.test/no-such-node": "true" } } }));
    jobs["noSecret"] = schedule(noSecret, pluginStep("echo never runs", bb, {
      // The agent never starts: without this the command container would wait 120 s for it.
      podSpecPatch: { containers: [{ name: "container-0", env: [{ name: "BUILDKITE_KUBERNETES_BOOTSTRAP_CONNECTION_TIMEOUT", value: "10s" }] }] },
    }));
  });
  after(async () => {
    for (const r of recorders.values()) r.stop();
    await Promise.all([e?.cleanup(), pending?.cleanup(), noSecret?.cleanup()]);
  });

  const job = (name: string): Scheduled => {
    const j = jobs[name];
    if (!j) throw new Error(`no job ${name} was scheduled`);
    return j;
  };
  const recorder = (env: JobsEnv): PodRecorder => {
    const r = recorders.get(env);
    if (!r) throw new Error("no pod recorder for this env");
    return r;
  };
  const podStarted = (env: JobsEnv, id: string) => recorder(env).until(id, "started by the kubelet", (p) => p.pod.status?.startTime !== undefined);

  it("an image that does not exist: image-pull failure naming its imagecheck container, then the pod is deleted", async () => {
    const { id } = job("missingImage");
    const record = await e.finished(id, 60_000);
    const detail = stackFinishDetail(e, record);
    expect(detail).to.match(/^The following containers could not be created or their images could not be pulled:\n\nCONTAINER\s+IMAGE\s+REASON\s+MESSAGE\n/);
    expect(detail).to.match(new RegExp(`\\nimagecheck-\\d+\\s+"${escape(MISSING_IMAGE)}"\\s+(ErrImagePull|ImagePullBackOff)\\s+\\S`));
    const { pod } = await podStarted(e, id);
    const sinceStart = finishedAt(record) - ms(pod.status?.startTime);
    expect(sinceStart, "ms from the pod's start to the finish").to.be.within(IMAGE_PULL_GRACE_S * 1000, IMAGE_PULL_GRACE_S * 1000 + SLACK_MS);
    await recorder(e).until(id, "deleted", (p) => p.deleted || p.pod.metadata?.deletionTimestamp !== undefined, 30_000);
    expectFinishedOnce(e, id);
  });

  it("an init container that exits 7: init-container failure with exit code 7 in the detail", async () => {
    const { id } = job("initFails");
    const record = await e.finished(id, 60_000);
    expect(stackFinishDetail(e, record)).to.match(/^The following init containers failed:\n\nCONTAINER\s+EXIT CODE\s+SIGNAL\s+REASON\s+MESSAGE\nprepare\s+7\s+Error *$/);
    const { pod } = await recorder(e).until(id, "with prepare terminated", (p) => containerStatus(p.pod, "prepare").state?.terminated !== undefined);
    const prepare = terminated(pod, "prepare");
    expect(prepare.exitCode).to.equal(7);
    expect(finishedAt(record) - prepare.finishedAt, "ms from the init container's exit to the finish").to.be.below(SLACK_MS);
    expectFinishedOnce(e, id);
  });

  // The Buildkite sync once deleted the Kubernetes Job of every job that ended while its pod was
  // Pending (a failed init container leaves the pod Pending for a moment), the watchers' own
  // finishes included, so the failed pod, its logs and its events were gone within a second.
  it("an init container that exits 7: its pod is kept, so kubectl logs shows the failure", async () => {
    const { id } = job("initFails");
    await e.finished(id, 60_000);
    await recorder(e).until(id, "terminal", (p) => isTerminal(p.pod));
    await new Promise((r) => setTimeout(r, 3000));
    const pods = await e.pods(id);
    expect(pods.filter((p) => p.metadata?.deletionTimestamp === undefined), "the failed pod, not deleted").to.have.length(1);
    expect(await containerLog(e, pods[0] ?? {}, "prepare")).to.equal("preparing\n");
  });

  it("an init container OOM-killed under a 32Mi limit: init-container failure with 137 and OOMKilled", async () => {
    const { id } = job("initOom");
    const record = await e.finished(id, 60_000);
    expect(stackFinishDetail(e, record)).to.match(/^The following init containers failed:\n\nCONTAINER\s+EXIT CODE\s+SIGNAL\s+REASON\s+MESSAGE\nprepare\s+137\s+OOMKilled *$/);
    const { pod } = await recorder(e).until(id, "with prepare terminated", (p) => containerStatus(p.pod, "prepare").state?.terminated !== undefined);
    const prepare = terminated(pod, "prepare");
    expect(prepare).to.include({ exitCode: 137, reason: "OOMKilled" });
    expect(finishedAt(record) - prepare.finishedAt).to.be.below(SLACK_MS);
    expectFinishedOnce(e, id);
  });

  it("a command OOM-killed under a 96Mi limit: the agent reports 137 and the kubelet OOMKilled", async () => {
    const { id } = job("commandOom");
    const record = await e.finished(id, 60_000);
    expect(record.finished_by).to.equal("agent");
    expect(record.exit_status).to.equal("137");
    expect(e.log(id)).to.include("allocating");
    const { pod } = await recorder(e).until(id, "terminal", (p) => isTerminal(p.pod));
    expect(terminated(pod, "container-0")).to.include({ exitCode: 137, reason: "OOMKilled" });
    expectFinishedOnce(e, id);
  });

  it("a pod deleted while its command runs: the agent stops the job (signal_reason agent_stop), once", async () => {
    const { id } = job("deletedRunning");
    await e.env.standin.waitForJob(id, (r) => r.state === "running" && e.log(id).includes("command started"), 60_000);
    const { pod } = await recorder(e).until(id, "running", (p) => p.pod.status?.phase === "Running");
    const deletedAt = Date.now();
    await e.env.kube.core.deleteNamespacedPod({ namespace: e.env.namespace, name: pod.metadata?.name ?? "" });
    const record = await e.finished(id, 60_000);
    expect(record.finished_by).to.equal("agent");
    expect(record.signal_reason).to.equal("agent_stop");
    // The command's client never exited: the agent reports such a client as 137.
    expect(record.exit_status).to.equal("137");
    // Within the pod's 5 s grace period: the agent finishes before the kubelet kills it.
    expect(finishedAt(record) - deletedAt).to.be.below(5000);
    expectFinishedOnce(e, id);
  });

  it("a pod deleted while an init container runs: the failed Job is reported with its events", async () => {
    const { id } = job("deletedInInit");
    const { pod } = await recorder(e).until(id, "running its slow init container", (p) => containerStatus(p.pod, "slow-init").state?.running !== undefined);
    const deletedAt = Date.now();
    await e.env.kube.core.deleteNamespacedPod({ namespace: e.env.namespace, name: pod.metadata?.name ?? "" });
    const record = await e.finished(id, 60_000);
    const detail = stackFinishDetail(e, record);
    expect(detail).to.match(/^The Kubernetes Job buildkite-\S+ failed \(BackoffLimitExceeded: [^)]*\) before the buildkite-agent acquired this Buildkite job/);
    expect(detail).to.match(/\n\nEvents:\nLAST SEEN\s+COUNT\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n/);
    // The pod's grace period (5 s: `sleep` ignores SIGTERM as PID 1), then the Job controller.
    expect(finishedAt(record) - deletedAt).to.be.below(5000 + SLACK_MS);
    expectFinishedOnce(e, id);
  });

  it(`a pod no node matches: pending-timeout after ${PENDING_TIMEOUT_S}s with the scheduler's reason, then the pod is deleted`, async () => {
    const { id } = job("unschedulable");
    const record = await pending.finished(id, 60_000);
    const detail = stackFinishDetail(pending, record);
    expect(detail).to.match(/^The pod \S+ has been in Pending state for (\d+)s without starting\.\n\nPod Conditions:\n {2}- PodScheduled: False \(Reason: Unschedulable, Message: 0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/);
    expect(Number(/for (\d+)s/.exec(detail)?.[1])).to.be.within(PENDING_TIMEOUT_S, PENDING_TIMEOUT_S + 5);
    const { pod } = await recorder(pending).until(id, "deleted", (p) => p.deleted || p.pod.metadata?.deletionTimestamp !== undefined, 30_000);
    expect(pod.spec?.nodeName, "never scheduled").to.equal(undefined);
    const sinceCreation = finishedAt(record) - ms(pod.metadata?.creationTimestamp);
    expect(sinceCreation, "ms from the pod's creation to the finish").to.be.within(PENDING_TIMEOUT_S * 1000, PENDING_TIMEOUT_S * 1000 + SLACK_MS);
    expectFinishedOnce(pending, id);
  });

  it("no agent token Secret: the agent container's CreateContainerConfigError names the Secret", async () => {
    const { id } = job("noSecret");
    const record = await noSecret.finished(id, 60_000);
    const detail = stackFinishDetail(noSecret, record);
    expect(detail).to.match(/\nagent\s+"localhost\/agentify\/buildkite-agent:[^"]+"\s+CreateContainerConfigError\s+secret "buildkite-agent-token" not found/);
    const { pod, versions } = await recorder(noSecret).until(id, "deleted", (p) => p.deleted || p.pod.metadata?.deletionTimestamp !== undefined, 30_000);
    expect(versions.map((v) => v.status?.containerStatuses?.find((c) => c.name === "agent")?.state?.waiting?.reason), "the agent's waiting reasons").to.include("CreateContainerConfigError");
    expect(finishedAt(record) - ms(pod.status?.startTime)).to.be.within(IMAGE_PULL_GRACE_S * 1000, IMAGE_PULL_GRACE_S * 1000 + SLACK_MS);
    expectFinishedOnce(noSecret, id);
  });

  it("no job is left unfinished or finished twice, a few seconds after the last", async () => {
    await new Promise((r) => setTimeout(r, 3000));
    for (const env of [e, pending, noSecret]) {
      for (const j of env.env.standin.jobs()) {
        const r = env.env.standin.jobRecord(j.id);
        expect(r.state, `job ${j.id}`).to.be.oneOf(["finished", "canceled"]);
        expect(r.finish_count, `job ${j.id}`).to.equal(1);
        expect(r.finish_attempts, `job ${j.id}`).to.have.length(1);
      }
    }
  });
});
