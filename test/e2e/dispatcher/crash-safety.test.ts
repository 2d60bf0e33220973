// Crash safety: a burst of 500 jobs, 20 % of stacks API calls failing (plus answers lost after
// the call took effect), and the dispatcher SIGKILLed three times mid-burst. Afterwards every
// Buildkite job has exactly one Kubernetes Job, or was finished with a reason — never both,
// never neither, never twice.
import { expect } from "chai";
import type { StepSpec } from "../../standin/types.ts";
import { spawnDispatcher, writeConfigFile } from "./child.ts";
import type { ChildDispatcher } from "./child.ts";
import { DispatcherEnv, QUEUE, waitFor } from "./env.ts";
import { JobRecorder } from "./job-recorder.ts";

const JOBS = 500;

describe("dispatcher e2e: crash safety", function () {
  this.timeout(240_000);
  let e: DispatcherEnv;
  let recorder: JobRecorder;
  let current: ChildDispatcher | undefined;

  before(async () => {
    e = await DispatcherEnv.create({
      config: { "max-in-flight": 0, "reservation-expiry-seconds": 3 },
      standin: { faults: { seed: 7, errorRate: 0.2, errorStatuses: [500, 502, 503], dropRate: 0.03, dropAfterHandling: true } },
    });
    recorder = await JobRecorder.start(e.kube);
  });
  after(async () => {
    current?.child.kill("SIGKILL");
    recorder?.stop();
    const t = Date.now();
    await e?.cleanup({ wait: true });
    console.log(`      (clean-up ${Date.now() - t} ms)`);
  });

  it("ends every job with exactly one Kubernetes Job or one finish, across three SIGKILLs", async () => {
    const steps: StepSpec[] = Array.from({ length: JOBS }, (_, i) => i % 20 === 7
      ? { command: "x", agents: { queue: QUEUE }, priority: i % 3, plugins: [{ kubernetes: { podSpec: { containers: 1 } } }] }
      : { command: `echo ${i}`, agents: { queue: QUEUE }, priority: i % 3, ...(i % 4 === 0 ? { plugins: [{ kubernetes: { podSpec: {}, checkout: { skip: true } } }] } : {}) });
    const ids = e.standin.enqueueBuild(steps);
    const invalid = new Set(ids.filter((_, i) => i % 20 === 7));
    const config = writeConfigFile(e);

    const kills: number[] = [];
    const t0 = Date.now();
    const times: number[] = [];
    for (const [run, killAt] of [[1, 100], [2, 200], [3, 300]] as const) {
      current = spawnDispatcher(e, config, `run-${run}`);
      await waitFor(`${killAt} Jobs (run ${run}, log ${current.logPath})`, () => recorder.created.size >= killAt, 90_000, 5);
      current.child.kill("SIGKILL");
      await current.exited;
      kills.push(recorder.created.size);
      times.push(Date.now() - t0);
    }
    current = spawnDispatcher(e, config, "run-4");
    const resolved = (id: string) => recorder.created.has(`buildkite-${id}`) || e.standin.job(id)?.finish?.by === "stack";
    await waitFor(`every job resolved (log ${current.logPath})`, () => ids.every(resolved), 120_000, 200);
    times.push(Date.now() - t0);
    await new Promise((r) => setTimeout(r, 1500)); // anything still in flight would show up now

    console.log(`      Jobs when killed: ${kills.join(", ")} at ${times.join(", ")} ms; stacks API calls: ${e.standin.calls().length}, injected faults: ${e.standin.calls().filter((c) => c.faults.length > 0).length}`);
    const both = ids.filter((id) => recorder.created.has(`buildkite-${id}`) && e.standin.job(id)?.finish?.by === "stack");
    expect(both, "jobs with a Job and a finish").to.deep.equal([]);
    expect(recorder.recreated, "Jobs created twice").to.deep.equal([]);
    const uuids = [...recorder.created.values()].map((j) => j.metadata?.labels?.["buildkite.com/job-uuid"]);
    expect(new Set(uuids).size, "one Job per job UUID").to.equal(uuids.length);
    expect(recorder.created.size).to.equal(JOBS - invalid.size);
    for (const job of recorder.created.values()) expect(job.metadata?.annotations?.["buildkite.com/agentified"], job.metadata?.name).to.be.a("string");
    for (const id of invalid) expect(e.standin.job(id)?.finish?.detail, id).to.match(/^agentify failed to parse the job: failed parsing Kubernetes plugin: podSpec\.containers: /);
    // Buildkite accepts one finish per job (a repeat is refused), so this counts jobs, not calls.
    expect(e.standin.jobs().filter((j) => j.finish?.by === "stack").map((j) => j.id).sort()).to.deep.equal([...invalid].sort());
    const accepted = e.standin.calls("finishJob").filter((c) => c.status === 200).map((c) => c.jobUuid);
    expect(new Set(accepted).size, "no job finished twice").to.equal(accepted.length);
  });
});
