// Buildkite jobs run end to end on the real node: stand-in → dispatcher → webhook → Job → Pod →
// the real buildkite-agent → log and finish back on the stand-in.
import { expect } from "chai";
import { commandStep, JobsEnv } from "./env.ts";

describe("jobs run end to end (real node, real agent)", function () {
  this.timeout(300_000);
  let e: JobsEnv;

  before(async function () {
    this.timeout(45 * 60_000);
    e = await JobsEnv.create();
    await e.env.startDispatcher();
  });
  after(() => e?.cleanup());

  it("a passing command: finished, exit 0, its output in the log, one finish", async function () {
    const id = e.schedule(commandStep('echo "Hello from agentify"', e.busybox));
    const r = await e.finished(id);
    expect(r.state).to.equal("finished");
    expect(r.exit_status).to.equal("0");
    expect(r.finish_count).to.equal(1);
    expect(r.finished_by).to.equal("agent");
    expect(e.log(id)).to.include("Hello from agentify");
  });

  it("a failing command: `exit 3` gives exit status \"3\"", async function () {
    const id = e.schedule(commandStep("echo about to fail; exit 3", e.busybox));
    const r = await e.finished(id);
    expect(r.exit_status).to.equal("3");
    expect(r.finish_count).to.equal(1);
    expect(e.log(id)).to.include("about to fail");
  });
});
