// Non-root Jobs (runAsUser: 1000) on the real node, in both non-root-workspace modes: the step's
// command lists the uid of every process in the pod (shareProcessNamespace), a user init container
// prints its own, and copy-agent's trace shows who owns /workspace. The fs-group Job runs in a
// namespace that enforces Pod Security "restricted".
import type { V1Pod } from "@kubernetes/client-node";
import { expect } from "chai";
import { formatJobRecord } from "../../standin/job-record.ts";
import type { StepSpec } from "../../standin/types.ts";
import { JobsEnv } from "../jobs/env.ts";
import { PodRecorder } from "./pod-recorder.ts";
import { containerLog, describePod, isTerminal } from "./pods.ts";

const UID = 1000;
/** What Pod Security "restricted" asks of each container beyond the pod's own securityContext. */
const RESTRICTED_CONTAINER = { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } };
const ENFORCE = "pod-security.kubernetes.io/enforce";

// Every process of the pod (its containers share one PID namespace): "process uid=<uid> <argv>".
const LIST_PROCESSES = [
  'echo "command uid=$(id -u) gid=$(id -g) home=$HOME"',
  "for s in /proc/[0-9]*/status; do",
  "  d=${s%/status}; c=$(tr '\\0' ' ' < $d/cmdline 2>/dev/null || true)",
  '  if [ -n "$c" ]; then echo "process uid=$(awk \'/^Uid:/ {print $2}\' $s 2>/dev/null) $c"; fi',
  "done",
  'stat -c "workspace %n owner=%u:%g" /workspace /workspace/buildkite-agent /workspace/tini-static',
].join("\n");

function nonRootStep(busybox: string): StepSpec {
  const container = { securityContext: RESTRICTED_CONTAINER };
  const podSpec = {
    securityContext: { runAsUser: UID, runAsGroup: UID },
    shareProcessNamespace: true,
    initContainers: [{ name: "user-init", image: busybox, imagePullPolicy: "IfNotPresent", command: ["sh", "-c", 'echo "init uid=$(id -u)"'], ...container }],
    containers: [{ name: "build", image: busybox, command: [LIST_PROCESSES], ...container }],
  };
  return { label: "non-root", plugins: [{ kubernetes: { checkout: { skip: true }, podSpec } }] };
}

/** uid → argv of every process the command saw, but the sandbox's pause. */
function processes(log: string): { uid: number; argv: string }[] {
  return [...log.replaceAll("\r", "").matchAll(/^process uid=(\d+) (.*)$/gm)]
    .map((m) => ({ uid: Number(m[1]), argv: (m[2] ?? "").trim() }))
    .filter((p) => p.argv !== "/pause");
}

describe(`non-root Jobs (uid ${UID}) on the real node, in both non-root-workspace modes`, function () {
  this.timeout(180_000);
  let chown: JobsEnv;
  let fsGroup: JobsEnv;
  const recorders = new Map<JobsEnv, PodRecorder>();
  const ids = new Map<JobsEnv, string>();

  before(async function () {
    this.timeout(10 * 60_000);
    [chown, fsGroup] = await Promise.all([JobsEnv.create(), JobsEnv.create({ config: { "non-root-workspace": "fs-group" } })]);
    await fsGroup.env.cluster.kubectl(["label", "namespace", fsGroup.env.namespace, `${ENFORCE}=restricted`], { check: true });
    for (const e of [chown, fsGroup]) {
      recorders.set(e, await PodRecorder.start(e));
      await e.env.startDispatcher();
      ids.set(e, e.schedule(nonRootStep(e.busybox)));
    }
  });
  after(async () => {
    for (const r of recorders.values()) r.stop();
    await Promise.all([chown?.cleanup(), fsGroup?.cleanup()]);
  });

  async function ran(e: JobsEnv): Promise<{ id: string; pod: V1Pod; log: string }> {
    const id = ids.get(e) ?? "";
    const record = await e.finished(id);
    const found = await recorders.get(e)?.until(id, "terminal", (p) => isTerminal(p.pod));
    const pod = found?.pod ?? {};
    const why = `${formatJobRecord(record)}\n--- log ---\n${e.log(id)}\n${describePod(pod)}`;
    expect(record.exit_status, why).to.equal("0");
    expect(record.finish_count, why).to.equal(1);
    expect(pod.status?.phase, why).to.equal("Succeeded");
    return { id, pod, log: e.log(id) };
  }

  function expectEveryProcessAsUid(log: string): void {
    const seen = processes(log);
    expect(log).to.include(`command uid=${UID} gid=${UID} home=/workspace`);
    expect(seen.map((p) => p.argv).join("\n"), "the agent container's process").to.match(/buildkite-agent\S* start/);
    expect(seen.map((p) => p.argv).join("\n"), "the command container's client").to.include("kubernetes-bootstrap");
    for (const p of seen) expect(p.uid, p.argv).to.equal(UID);
  }

  it("chown: copy-agent (root) chowns /workspace to the user; every other container runs as it", async () => {
    const { pod, log } = await ran(chown);
    expectEveryProcessAsUid(log);
    expect(await containerLog(chown, pod, "user-init")).to.equal(`init uid=${UID}\n`);
    expect(await containerLog(chown, pod, "copy-agent")).to.match(new RegExp(`^\\+ chown -R ${UID}:${UID} /workspace$`, "m"));
    expect(log).to.include(`workspace /workspace owner=${UID}:${UID}`);
    // As upstream, the chown comes first: the binaries copied after it are root's (world-executable).
    expect(log).to.include("workspace /workspace/buildkite-agent owner=0:0");
  });

  it("fs-group, under Pod Security restricted: nothing runs as root, copy-agent included", async () => {
    const refused = await fsGroup.env.cluster.kubectl(["run", "root-probe", "-n", fsGroup.env.namespace, `--image=${fsGroup.busybox}`, "--dry-run=server", "--", "true"]);
    expect(refused.code, "the namespace enforces restricted").to.not.equal(0);
    expect(refused.stderr).to.include('violates PodSecurity "restricted');
    const { pod, log } = await ran(fsGroup);
    expectEveryProcessAsUid(log);
    expect(await containerLog(fsGroup, pod, "user-init")).to.equal(`init uid=${UID}\n`);
    const copyTrace = await containerLog(fsGroup, pod, "copy-agent");
    expect(copyTrace, "no chown: copy-agent is not root").to.not.include("chown");
    // Files copy-agent wrote as the user, in the group fsGroup gives the volume.
    expect(log).to.include(`workspace /workspace/buildkite-agent owner=${UID}:${UID}`);
    expect(log).to.include(`workspace /workspace/tini-static owner=${UID}:${UID}`);
  });
});
