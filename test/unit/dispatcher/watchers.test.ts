import { expect } from "chai";
import type { JobState } from "../../../dispatcher/api/index.ts";
import type { KubeClients } from "../../../dispatcher/kube/clients.ts";
import { jobFacts, podFacts } from "../../../dispatcher/kube/facts.ts";
import type { JobFacts, PodFacts } from "../../../dispatcher/kube/facts.ts";
import { createDispatcherMetrics } from "../../../dispatcher/metrics.ts";
import { FailureReporter } from "../../../dispatcher/watch/failure-reporter.ts";
import { JobWatcher } from "../../../dispatcher/watch/job-watcher.ts";
import { failingContainers, pendingTooLong } from "../../../dispatcher/watch/pod-checks.ts";
import { PodWatcher } from "../../../dispatcher/watch/pod-watcher.ts";
import { eventually, FakeKube, silentLogger } from "./helpers.ts";

const UUID = "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b";
const T0 = Date.parse("2026-01-01T00:00:00Z");
const labels = { "buildkite.com/job-uuid": UUID };

function rawPod(status: Record<string, unknown>, over: { createdAt?: number; init?: unknown[] } = {}): PodFacts {
  const facts = podFacts({
    metadata: { name: "buildkite-x-abcde", uid: "p1", resourceVersion: "7", labels, creationTimestamp: new Date(over.createdAt ?? T0).toISOString() },
    spec: {
      initContainers: over.init ?? [{ name: "copy-agent", image: "agent:3" }, { name: "sidecar", image: "nginx", restartPolicy: "Always" }],
      containers: [{ name: "container-0", image: "node:22" }, { name: "agent", image: "agent:3" }],
    },
    status: { phase: "Pending", ...status },
  });
  if (!facts) throw new Error("no facts");
  return facts;
}

function rawJob(status: Record<string, unknown>, spec: Record<string, unknown> = {}): JobFacts {
  const facts = jobFacts({ metadata: { name: `buildkite-${UUID}`, uid: "j1", resourceVersion: "3", labels, creationTimestamp: new Date(T0).toISOString() }, spec, status });
  if (!facts) throw new Error("no facts");
  return facts;
}

function reporterWith(state: JobState | undefined) {
  const finishes: { uuid: string; detail: string; reason: string }[] = [];
  const notes: string[] = [];
  const reporter = new FailureReporter({
    lookup: { state: async () => state },
    finisher: { finish: async (uuid, detail, reason) => (finishes.push({ uuid, detail, reason }), "finished") },
    notifier: { notify: (_uuid, detail) => void notes.push(detail) },
    logger: silentLogger(),
  });
  return { reporter, finishes, notes };
}

describe("dispatcher watchers", () => {
  describe("pod checks", () => {
    const waiting = (reason: string, message = "") => ({ containerStatuses: [{ name: "container-0", state: { waiting: { reason, message } } }] });

    it("fails InvalidImageName at once and pull errors only after the grace period", () => {
      expect(failingContainers(rawPod(waiting("InvalidImageName")), T0, 30_000).map((c) => c.name)).to.deep.equal(["container-0"]);
      const pulling = rawPod({ ...waiting("ImagePullBackOff"), startTime: new Date(T0).toISOString() });
      expect(failingContainers(pulling, T0 + 29_000, 30_000)).to.deep.equal([]);
      expect(failingContainers(pulling, T0 + 30_000, 30_000).map((c) => c.waiting?.reason)).to.deep.equal(["ImagePullBackOff"]);
      expect(failingContainers(rawPod(waiting("ContainerCreating")), T0 + 1e9, 30_000)).to.deep.equal([]);
    });

    it("measures the pending timeout from creation", () => {
      expect(pendingTooLong(rawPod({}), T0 + 59_000, 60_000)).to.equal(false);
      expect(pendingTooLong(rawPod({}), T0 + 60_000, 60_000)).to.equal(true);
      expect(pendingTooLong(rawPod({ phase: "Running" }), T0 + 1e9, 60_000)).to.equal(false);
    });
  });

  describe("PodWatcher", () => {
    function watcher(state: JobState | undefined, now = T0 + 1000) {
      const kube = new FakeKube();
      const r = reporterWith(state);
      const w = new PodWatcher({
        reporter: r.reporter, kube: kube as unknown as KubeClients, pods: () => [], imagePullGraceMs: 30_000, pendingTimeoutMs: 60_000,
        metrics: createDispatcherMetrics({ maxInFlight: 0 }), logger: silentLogger(), now: () => now,
      });
      return { w, kube, ...r };
    }

    it("finishes a still-reserved job whose image cannot be pulled, then deletes the pod", async () => {
      const { w, kube, finishes } = watcher("reserved");
      w.check(rawPod({ containerStatuses: [{ name: "container-0", state: { waiting: { reason: "InvalidImageName", message: 'couldn\'t parse image name "NODE:22"' } } }] }));
      await eventually(() => kube.deletedPods.length === 1);
      expect(finishes).to.have.length(1);
      expect(finishes[0]?.detail).to.match(/^The following containers could not be created or their images could not be pulled:\n\nCONTAINER\s+IMAGE\s+REASON\s+MESSAGE\ncontainer-0\s+"node:22"\s+InvalidImageName\s+couldn't parse/);
    });

    it("only notifies (once) when an agent already owns the job", async () => {
      const { w, finishes, notes } = watcher("running");
      const failing = rawPod({ containerStatuses: [{ name: "container-0", state: { waiting: { reason: "InvalidImageName" } } }] });
      w.check(failing);
      await eventually(() => notes.length === 1);
      w.check(failing);
      await new Promise((r) => setTimeout(r, 20));
      expect(notes).to.have.length(1);
      expect(notes[0]).to.match(/^Image pull failure; .*container-0: InvalidImageName/);
      expect(finishes).to.deep.equal([]);
    });

    it("finishes a job whose pod stayed Pending past pod-pending-timeout, with the pod conditions", async () => {
      const { w, kube, finishes } = watcher("reserved", T0 + 61_000);
      w.check(rawPod({ conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available" }] }));
      await eventually(() => kube.deletedPods.length === 1);
      expect(finishes[0]?.detail).to.equal(
        "The pod buildkite-x-abcde has been in Pending state for 1m1s without starting.\n\nPod Conditions:\n  - PodScheduled: False (Reason: Unschedulable, Message: 0/3 nodes are available)\n",
      );
    });

    it("finishes a job whose init container failed, failing the pod (native sidecars excluded)", async () => {
      const { w, finishes } = watcher("reserved");
      w.check(rawPod({ phase: "Failed", initContainerStatuses: [
        { name: "sidecar", state: { terminated: { exitCode: 1, reason: "Error" } } },
        { name: "copy-agent", state: { terminated: { exitCode: 2, reason: "Error", message: "tini not found" } } },
      ] }));
      await eventually(() => finishes.length === 1);
      expect(finishes[0]?.detail).to.match(/^The following init containers failed:\n\nCONTAINER\s+EXIT CODE\s+SIGNAL\s+REASON\s+MESSAGE\ncopy-agent\s+2\s+Error\s+tini not found$/);
    });
  });

  describe("JobWatcher", () => {
    function watcher(state: JobState | undefined, now = T0 + 1000) {
      const kube = new FakeKube();
      kube.events.push({ involvedObject: { kind: "Job", name: `buildkite-${UUID}` }, type: "Warning", reason: "FailedCreate", message: 'Error creating: pods "x" is forbidden: error looking up service account ci/nope', count: 4, lastTimestamp: new Date(T0) } as never);
      const r = reporterWith(state);
      const w = new JobWatcher({ reporter: r.reporter, kube: kube as unknown as KubeClients, jobs: () => [], podsOf: () => [], emptyJobGraceMs: 30_000, eventsRetryDelayMs: 1, logger: silentLogger(), now: () => now });
      return { w, kube, ...r };
    }

    it("finishes a job whose Kubernetes Job failed before the agent acquired it, with the events", async () => {
      const { w, finishes } = watcher("reserved");
      w.check(rawJob({ failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" }] }));
      await eventually(() => finishes.length === 1);
      expect(finishes[0]?.detail).to.match(/^The Kubernetes Job buildkite-\S+ failed \(BackoffLimitExceeded: Job has reached the specified backoff limit\) before the buildkite-agent acquired/);
      expect(finishes[0]?.detail).to.match(/Events:\nLAST SEEN\s+COUNT\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n.*FailedCreate.*error looking up service account/);
    });

    it("asks again once when the events have not been recorded yet", async () => {
      const { w, kube, finishes } = watcher("reserved");
      const late = kube.events.splice(0);
      const list = kube.listEvents.bind(kube);
      let calls = 0;
      kube.listEvents = async (kind, name) => {
        if (calls++ === 0) {
          const first = await list(kind, name);
          kube.events.push(...late);
          return first;
        }
        return list(kind, name);
      };
      w.check(rawJob({ failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] }));
      await eventually(() => finishes.length === 1);
      expect(finishes[0]?.detail).to.contain("FailedCreate");
    });

    it("leaves jobs an agent ran alone", async () => {
      const { w, finishes } = watcher("finished");
      w.check(rawJob({ succeeded: 1, conditions: [{ type: "Complete", status: "True" }] }));
      await new Promise((r) => setTimeout(r, 20));
      expect(finishes).to.deep.equal([]);
    });

    it("reaps a Job without pods after empty-job-grace-period: a suspended one is deleted, others expired", async () => {
      const late = watcher("scheduled", T0 + 31_000);
      late.w.check(rawJob({}, { suspend: true }));
      await eventually(() => late.kube.deletedJobs.length === 1);
      expect(late.finishes[0]?.detail).to.match(/spent 31s without starting a pod\. It is suspended: the agentify webhook never mutated it\./);
      const running = watcher("reserved", T0 + 31_000);
      running.w.check(rawJob({}));
      await eventually(() => running.kube.expiredJobs.length === 1);
      const early = watcher("reserved", T0 + 10_000);
      early.w.check(rawJob({}));
      await new Promise((r) => setTimeout(r, 20));
      expect(early.finishes).to.deep.equal([]);
    });
  });
});
