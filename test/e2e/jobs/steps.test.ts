// Step shapes on the real node with the real agent: two command containers in order sharing
// /workspace, a sidecar the command reaches on localhost, a step that skips checkout, and two jobs
// of one build running at the same time. Every job is scheduled at once; each test waits for its own.
import { expect } from "chai";
import type { StepSpec } from "../../standin/types.ts";
import { commandStep, JobsEnv } from "./env.ts";
import { expectJobEnded, expectLogLine, logLines, podsDone } from "./expect-job.ts";

const skipCheckout = { checkout: { skip: true } };

/** Waits (at most 60 s) for the other job's meta-data marker, after setting its own. */
function rendezvous(mine: string, theirs: string): string {
  return [
    `buildkite-agent meta-data set ${mine} started`,
    `for i in $(seq 1 60); do buildkite-agent meta-data exists ${theirs} && break; sleep 1; done`,
    `echo "${mine} saw ${theirs}=$(buildkite-agent meta-data get ${theirs})"`,
  ].join("\n");
}

describe("step shapes on the real node (real agent)", function () {
  this.timeout(300_000);
  let e: JobsEnv;
  const ids: Record<string, string> = {};
  let parallel: string[] = [];

  before(async function () {
    this.timeout(10 * 60_000);
    e = await JobsEnv.create();
    await e.env.startDispatcher();
    const bb = e.busybox;
    const twoContainers: StepSpec = {
      label: "two containers",
      plugins: [{ kubernetes: { ...skipCheckout, podSpec: { containers: [
        { image: bb, command: ['echo "first container starts"', "sleep 2", 'echo "made by the first" > /workspace/artifact.txt', 'echo "first container wrote the file"'] },
        { image: bb, command: ['echo "second container read: $(cat /workspace/artifact.txt)"'] },
      ] } } }],
    };
    ids["twoContainers"] = e.schedule(twoContainers);
    ids["sidecar"] = e.schedule(commandStep(
      "for i in $(seq 1 30); do wget -q -O - http://127.0.0.1:8080/status && exit 0; sleep 1; done; echo sidecar never answered; exit 1",
      bb,
      { plugins: [{ kubernetes: { ...skipCheckout, sidecars: [{ image: bb, command: ["sh", "-c", "mkdir -p /tmp/www && echo 'sidecar is up' > /tmp/www/status && exec httpd -f -p 8080 -h /tmp/www"] }] } }] },
    ));
    ids["skipCheckout"] = e.schedule(commandStep('if test -e .git; then echo "a checkout is here"; else echo "no checkout here"; fi', bb));
    parallel = e.scheduleBuild([
      commandStep(rendezvous("left", "right"), e.agentImage, { label: "left" }),
      commandStep(rendezvous("right", "left"), e.agentImage, { label: "right" }),
    ]);
  });
  after(() => e?.cleanup());

  it("two command containers run in order and share files in /workspace", async function () {
    const id = ids["twoContainers"] ?? "";
    await expectJobEnded(e, id, { state: "finished", exitStatus: "0" });
    const lines = logLines(e, id);
    expectLogLine(e, id, "second container read: made by the first");
    const wrote = lines.indexOf("first container wrote the file");
    expect(wrote, "the first container's last line").to.be.greaterThan(-1);
    expect(lines.indexOf("second container read: made by the first"), "the second container ran after the first").to.be.greaterThan(wrote);
    const [pod] = await podsDone(e, id);
    expect(pod?.status?.phase).to.equal("Succeeded");
    expect(pod?.spec?.containers.map((c) => c.name)).to.deep.equal(["container-0", "container-1", "agent"]);
  });

  it("a sidecar service is reachable from the command on localhost", async function () {
    const id = ids["sidecar"] ?? "";
    await expectJobEnded(e, id, { state: "finished", exitStatus: "0" });
    expectLogLine(e, id, "sidecar is up");
    const [pod] = await podsDone(e, id);
    expect(pod?.status?.phase, "the native sidecar does not keep the pod running").to.equal("Succeeded");
  });

  it("skip checkout: no checkout container, no clone, and the step passes", async function () {
    const id = ids["skipCheckout"] ?? "";
    await expectJobEnded(e, id, { state: "finished", exitStatus: "0" });
    expectLogLine(e, id, "no checkout here");
    expect(e.log(id)).not.to.match(/git (clone|fetch)/);
    const [pod] = await podsDone(e, id);
    expect(pod?.status?.phase).to.equal("Succeeded");
    expect(pod?.spec?.containers.map((c) => c.name)).to.deep.equal(["container-0", "agent"]);
  });

  it("two jobs of one build run in parallel: each sees the other's meta-data while it runs", async function () {
    const [left, right] = parallel as [string, string];
    const [l, r] = await Promise.all([
      expectJobEnded(e, left, { state: "finished", exitStatus: "0" }),
      expectJobEnded(e, right, { state: "finished", exitStatus: "0" }),
    ]);
    expectLogLine(e, left, "left saw right=started");
    expectLogLine(e, right, "right saw left=started");
    const t = (s: string | null) => new Date(s ?? Number.NaN).getTime();
    expect(t(l.started_at), "left started before right finished").to.be.lessThan(t(r.finished_at));
    expect(t(r.started_at), "right started before left finished").to.be.lessThan(t(l.finished_at));
    await Promise.all([podsDone(e, left), podsDone(e, right)]);
  });
});
