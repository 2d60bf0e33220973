// Jobs stopped while their command runs, on the real node: a user cancel on Buildkite, and a Job
// that runs past its activeDeadlineSeconds. Each ends on Buildkite (never lost), finished once,
// and its pod stops. The bootstrap's connection timeout is short, so a container that never gets
// its agent gives up quickly instead of after 120 s.
import { expect } from "chai";
import type { StepSpec } from "../../standin/types.ts";
import { JobsEnv } from "./env.ts";
import { expectJobEnded, logLines, podsDone } from "./expect-job.ts";

const SHORT_CONNECT = { name: "BUILDKITE_KUBERNETES_BOOTSTRAP_CONNECTION_TIMEOUT", value: "15s" };

/**
 * The agent's signal grace is terminationGracePeriodSeconds - 10: at 0 (the suite's 5 s) it stops
 * waiting for the command at once and reports 137 (never exited). 15 s leaves it 5 s (a default pod 50).
 */
const STOPPABLE = { terminationGracePeriodSeconds: 15, containers: [{ name: "container-0", env: [SHORT_CONNECT] }] };

function sleepingStep(image: string, kubernetes: Record<string, unknown> = {}): StepSpec {
  return {
    command: "echo command started; sleep 300; echo never printed",
    image,
    plugins: [{ kubernetes: { checkout: { skip: true }, podSpecPatch: STOPPABLE, ...kubernetes } }],
  };
}

describe("jobs stopped while running, on the real node (real agent)", function () {
  this.timeout(300_000);
  let e: JobsEnv;
  let canceled = "";
  let deadline = "";

  before(async function () {
    this.timeout(10 * 60_000);
    e = await JobsEnv.create();
    await e.env.startDispatcher();
    canceled = e.schedule(sleepingStep(e.busybox));
    deadline = e.schedule(sleepingStep(e.busybox, { jobActiveDeadlineSeconds: 10 }));
  });
  after(() => e?.cleanup());

  const running = (id: string) =>
    e.env.standin.waitForJob(id, (r) => r.started_at !== null && logLines(e, id).includes("command started"), 120_000);

  it("a cancel while running: canceled, exit -1, signal_reason cancel, one finish, and the pod stops", async function () {
    await running(canceled);
    e.env.standin.cancel(canceled);
    await expectJobEnded(e, canceled, { state: "canceled", exitStatus: "-1", signalReason: "cancel" });
    expect(logLines(e, canceled)).not.to.include("never printed");
    await podsDone(e, canceled);
  });

  it("past activeDeadlineSeconds: the Kubernetes Job fails DeadlineExceeded, the agent stops the command and finishes once", async function () {
    await running(deadline);
    const record = await expectJobEnded(e, deadline, { state: "finished", exitStatus: "-1", signalReason: "agent_stop" });
    const job = await e.env.kube.batch.readNamespacedJob({ namespace: e.env.namespace, name: `buildkite-${deadline}` });
    const failed = (job.status?.conditions ?? []).find((c) => ["Failed", "FailureTarget"].includes(c.type) && c.status === "True");
    expect(failed?.reason, JSON.stringify(job.status)).to.equal("DeadlineExceeded");
    // The deadline counts from the Job's start (the pod's start-up included).
    const ranMs = new Date(record.finished_at ?? 0).getTime() - new Date(job.status?.startTime ?? 0).getTime();
    expect(ranMs, "ms from the Job's start to the finish: the deadline, not the 300 s sleep").to.be.within(9_000, 60_000);
    const lines = logLines(e, deadline);
    expect(lines).to.include("🚨 Error: The command was interrupted by a signal: signal: terminated");
    expect(lines).not.to.include("never printed");
    await podsDone(e, deadline);
    await new Promise((r) => setTimeout(r, 2000));
    expect(e.env.standin.jobRecord(deadline).finish_attempts, "no later finish (the dispatcher's included)").to.have.length(1);
  });
});
