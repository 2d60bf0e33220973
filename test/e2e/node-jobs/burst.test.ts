// A burst of 20 Buildkite jobs through max-in-flight 5 on the real node: every pod reaches a
// terminal phase, no more than 5 are held at once, and the slots come back as pods finish, so the
// dispatcher reserves again until all 20 have run.
import { expect } from "chai";
import type { DispatcherHandle } from "../../../dispatcher/start.ts";
import { commandStep, JobsEnv } from "../jobs/env.ts";
import { PodRecorder } from "./pod-recorder.ts";
import { describePod, isTerminal } from "./pods.ts";

const JOBS = 20;
const MAX_IN_FLIGHT = 5;
/** Buildkite states in which a job holds one of our slots or an agent runs it. */
const HELD_STATES: ReadonlySet<string> = new Set(["reserved", "assigned", "accepted", "running"]);

describe(`a burst of ${JOBS} jobs through max-in-flight ${MAX_IN_FLIGHT} on the real node`, function () {
  this.timeout(300_000);
  let e: JobsEnv;
  let pods: PodRecorder;
  let dispatcher: DispatcherHandle;

  before(async function () {
    this.timeout(10 * 60_000);
    e = await JobsEnv.create({ config: { "max-in-flight": MAX_IN_FLIGHT } });
    pods = await PodRecorder.start(e);
    dispatcher = await e.env.startDispatcher();
  });
  after(async () => {
    pods?.stop();
    await e?.cleanup();
  });

  it("runs all of them, never holds more than max-in-flight, and returns every slot", async () => {
    const ids = e.scheduleBuild(Array.from({ length: JOBS }, (_, i) => commandStep(`echo "burst job ${i}"`, e.busybox, { label: `burst ${i}` })));
    const peak = { ledger: 0, held: 0, livePods: 0 };
    const sample = () => {
      peak.ledger = Math.max(peak.ledger, dispatcher.ledger.inFlight());
      peak.held = Math.max(peak.held, e.env.standin.jobs().filter((j) => HELD_STATES.has(j.state)).length);
      const live = pods.all().filter((p) => !p.deleted && !isTerminal(p.pod)).length;
      peak.livePods = Math.max(peak.livePods, live);
    };
    const sampler = setInterval(sample, 100);
    try {
      const records = await Promise.all(ids.map((id) => e.finished(id, 240_000)));
      for (const r of records) {
        expect(r.exit_status, `job ${r.id}:\n${e.log(r.id)}`).to.equal("0");
        expect(r.finish_count, `job ${r.id}`).to.equal(1);
        expect(e.log(r.id)).to.match(/burst job \d+/);
      }
      // Every pod of the burst ends: Succeeded, one per job.
      for (const id of ids) {
        const { pod } = await pods.until(id, "terminal", (p) => isTerminal(p.pod), 60_000);
        expect(pod.status?.phase, describePod(pod)).to.equal("Succeeded");
        expect(pods.podsOf(id), `one pod for ${id}`).to.have.length(1);
      }
      // The slots return once the Jobs complete (the informer reports them finished).
      const deadline = Date.now() + 30_000;
      while (dispatcher.ledger.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      sample();
    } finally {
      clearInterval(sampler);
    }
    expect(dispatcher.ledger.inFlight(), "slots still held after every Job completed").to.equal(0);
    expect(peak.ledger, "jobs in flight at most").to.equal(MAX_IN_FLIGHT);
    expect(peak.held, "Buildkite jobs held at once").to.be.within(2, MAX_IN_FLIGHT);
    expect(peak.livePods, "pods not yet terminal at once").to.be.within(2, MAX_IN_FLIGHT);
    expect(e.env.standin.jobs().filter((j) => j.state !== "finished"), "every job finished").to.deep.equal([]);
  });
});
