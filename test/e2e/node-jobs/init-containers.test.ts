// The init containers of an agentified pod, as the real kubelet ran them, for each main shape of
// step: copy-agent leaves buildkite-agent and tini-static in /workspace, every imagecheck-N exits
// 0 and proves each regular container's image before it starts, and native sidecars start before
// the command containers and are stopped after them. All from pod status and container logs.
import type { V1Pod } from "@kubernetes/client-node";
import { expect } from "chai";
import { startGitServer } from "../../support/git-server.ts";
import type { GitServer } from "../../support/git-server.ts";
import { formatJobRecord } from "../../standin/job-record.ts";
import type { StepSpec } from "../../standin/types.ts";
import { commandStep, JobsEnv } from "../jobs/env.ts";
import { PodRecorder } from "./pod-recorder.ts";
import { containerLog, describePod, isTerminal, terminated } from "./pods.ts";

const LIST_AGENT_FILES = "ls -1 /workspace/buildkite-agent /workspace/tini-static";
const skipCheckout = { checkout: { skip: true } };

/** A log's lines without the PTY's carriage returns and the agent's colours. */
function plainLines(log: string): string[] {
  // eslint-disable-next-line no-control-regex
  return log.replace(/\u001b\[[0-9;]*m/g, "").replaceAll("\r", "").split("\n");
}

/** Names of the init containers (sidecars included) and regular containers, from the pod's status (sorted by name there). */
function statusNames(pod: V1Pod): { init: string[]; regular: string[] } {
  return {
    init: (pod.status?.initContainerStatuses ?? []).map((s) => s.name),
    regular: (pod.status?.containerStatuses ?? []).map((s) => s.name).sort(),
  };
}

interface InitExpectations {
  /** How many imagecheck-N: one per image of the regular containers that no other init container runs. */
  checks: number;
  userInit?: readonly string[];
  sidecars?: readonly string[];
}

/**
 * copy-agent, every imagecheck-N and the user's init containers terminated with exit 0, after
 * copy-agent and before any regular container started; and each regular container's image was
 * run by one of them or by a sidecar (so a missing image fails before the agent starts).
 */
function expectInitContainersSucceeded(pod: V1Pod, want: InitExpectations): void {
  const why = describePod(pod);
  const statuses = pod.status?.initContainerStatuses ?? [];
  const checks = statusNames(pod).init.filter((n) => /^imagecheck-\d+$/.test(n)).sort();
  expect(checks, why).to.deep.equal(Array.from({ length: want.checks }, (_, i) => `imagecheck-${i}`));
  const copy = terminated(pod, "copy-agent");
  expect(copy.exitCode, why).to.equal(0);
  const ran = ["copy-agent", ...checks, ...(want.userInit ?? [])];
  let initDone = copy.finishedAt;
  for (const name of ran.slice(1)) {
    const t = terminated(pod, name);
    expect(t.exitCode, `${name}\n${why}`).to.equal(0);
    expect(t.startedAt, `${name} started after copy-agent finished`).to.be.at.least(copy.finishedAt);
    initDone = Math.max(initDone, t.finishedAt);
  }
  const provenImages = new Set([...ran, ...(want.sidecars ?? [])].map((n) => statuses.find((s) => s.name === n)?.image));
  for (const s of pod.status?.containerStatuses ?? []) {
    expect(provenImages, `the image of ${s.name} ran in an init container first\n${why}`).to.include(s.image);
    expect(terminated(pod, s.name).startedAt, `${s.name} started after the init containers`).to.be.at.least(initDone);
  }
}

describe("init containers on the real node: copy-agent, imagecheck-N and native sidecars, from pod status and logs", function () {
  this.timeout(180_000);
  let e: JobsEnv;
  let git: GitServer;
  let pods: PodRecorder;
  const ids: Record<string, string> = {};

  before(async function () {
    this.timeout(10 * 60_000);
    e = await JobsEnv.create();
    git = await startGitServer({ host: e.node.hostIp });
    const repo = await git.createRepo("app");
    const commit = await repo.commit("first", { "README.md": "checked out by the checkout container\n" });
    pods = await PodRecorder.start(e);
    await e.env.startDispatcher();
    const bb = e.busybox;

    ids["default"] = e.schedule(commandStep(`${LIST_AGENT_FILES} && echo "listed by the command"`, bb));
    // The user init container runs the agent image (already proven by copy-agent): only the
    // busybox image gets a check.
    const checkoutShape: StepSpec = {
      label: "checkout, a user init container and two command containers",
      plugins: [{ kubernetes: { podSpec: {
        initContainers: [{
          name: "inspect", image: e.agentImage, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", `${LIST_AGENT_FILES} && echo "listed by the init container"`],
          // User init containers get no workspace mount of their own (as upstream): they ask for it.
          volumeMounts: [{ name: "workspace", mountPath: "/workspace" }],
        }],
        containers: [
          { name: "busybox-step", image: bb, command: ["cat README.md"] },
          { name: "agent-image-step", image: e.agentImage, command: ["git --version"] },
        ],
      } } }],
    };
    ids["checkout"] = e.schedule(checkoutShape, { repo: repo.url, branch: "main", commit, pipeline: "init-containers" });
    // The sidecar marks /workspace when it starts; on SIGTERM it checks the command had finished.
    const sidecarScript = [
      "trap 'echo stopping; if test -e /workspace/command-done; then echo \"stopped after the command\"; fi; exit 0' TERM",
      "touch /workspace/sidecar-up; echo sidecar started",
      "while true; do sleep 1; done",
    ].join("\n");
    ids["sidecars"] = e.schedule(commandStep(
      'if test -e /workspace/sidecar-up; then echo "the sidecar was up"; fi; touch /workspace/command-done',
      bb,
      { plugins: [{ kubernetes: { ...skipCheckout, sidecars: [{ name: "svc", image: bb, command: ["sh", "-c", sidecarScript] }] } }] },
    ));
  });
  after(async () => {
    pods?.stop();
    await e?.cleanup();
    await git?.stop();
  });

  async function succeededPod(key: string): Promise<V1Pod> {
    const id = ids[key] ?? "";
    const record = await e.finished(id);
    const { pod } = await pods.until(id, "terminal", (p) => isTerminal(p.pod)).catch(async (err: unknown) => {
      const live = (await e.pods(id))[0];
      const agentLog = live ? await containerLog(e, live, "agent").catch(() => "") : "";
      throw new Error(`${(err as Error).message}\n--- agent log (end) ---\n${agentLog.split("\n").slice(-30).join("\n")}`, { cause: err });
    });
    const why = `${formatJobRecord(record)}\n--- log ---\n${e.log(id)}\n${describePod(pod)}`;
    expect(record.exit_status, why).to.equal("0");
    expect(record.finish_count, why).to.equal(1);
    expect(pod.status?.phase, why).to.equal("Succeeded");
    return pod;
  }

  it("one command container: copy-agent and imagecheck-N exit 0 and the command lists the agent's files", async () => {
    const pod = await succeededPod("default");
    expect(statusNames(pod).regular).to.deep.equal(["agent", "container-0"]);
    // busybox; the agent image is copy-agent's.
    expectInitContainersSucceeded(pod, { checks: 1 });
    // kubernetes-bootstrap tees the command's output to the container log as well as to Buildkite.
    const lines = plainLines(await containerLog(e, pod, "container-0"));
    expect(lines).to.include.members(["/workspace/buildkite-agent", "/workspace/tini-static", "listed by the command"]);
    expect(e.log(ids["default"] ?? "")).to.include("/workspace/tini-static");
  });

  it("checkout, a user init container and two command containers: the init container sees the agent's files", async () => {
    const pod = await succeededPod("checkout");
    const id = ids["checkout"] ?? "";
    expect(statusNames(pod).regular).to.deep.equal(["agent", "agent-image-step", "busybox-step", "checkout"]);
    expectInitContainersSucceeded(pod, { checks: 1, userInit: ["inspect"] });
    expect(await containerLog(e, pod, "inspect")).to.equal("/workspace/buildkite-agent\n/workspace/tini-static\nlisted by the init container\n");
    expect(terminated(pod, "checkout").exitCode).to.equal(0);
    expect(e.log(id)).to.include("checked out by the checkout container").and.to.match(/^git version \d/m);
  });

  it("a native sidecar starts before the command containers and is stopped after them", async () => {
    const pod = await succeededPod("sidecars");
    const why = describePod(pod);
    // No check: the sidecar runs busybox and copy-agent the agent image, before the containers.
    expectInitContainersSucceeded(pod, { checks: 0, sidecars: ["svc"] });
    const svc = terminated(pod, "svc");
    expect(svc.exitCode, `stopped by SIGTERM, not killed\n${why}`).to.equal(0);
    const regular = statusNames(pod).regular.map((n) => ({ name: n, ...terminated(pod, n) }));
    for (const c of regular) {
      expect(svc.startedAt, `svc started no later than ${c.name}`).to.be.at.most(c.startedAt);
      expect(svc.finishedAt, `svc stopped no earlier than ${c.name} finished`).to.be.at.least(c.finishedAt);
    }
    // Causality, not only timestamps (they have one-second resolution):
    expect(e.log(ids["sidecars"] ?? "")).to.include("the sidecar was up");
    expect(await containerLog(e, pod, "svc")).to.equal("sidecar started\nstopping\nstopped after the command\n");
  });
});
