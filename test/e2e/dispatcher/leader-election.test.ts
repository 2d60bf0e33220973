// Two dispatcher replicas with leader election on a Lease in the real apiserver: a burst of 300 jobs,
// the leader SIGKILLed twice, then frozen (SIGSTOP) past its lease and resumed. Every Buildkite job
// gets exactly one Kubernetes Job, nothing is lost, and the resumed process reserves nothing until it
// wins the Lease back. The takeover times are printed.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import type { StepSpec } from "../../standin/types.ts";
import { spawnDispatcher, writeConfigFile, type ChildDispatcher } from "./child.ts";
import { DispatcherEnv, QUEUE, waitFor } from "./env.ts";
import { JobRecorder } from "./job-recorder.ts";

const JOBS = 300;
const LEASE = "agentify-dispatcher";
// Short but in client-go's proportions: lease > renew deadline > retry period.
const TIMING = { lease: 4, renew: 3, retry: 1 };

describe("dispatcher e2e: leader election with two replicas", function () {
  this.timeout(300_000);
  let e: DispatcherEnv;
  let recorder: JobRecorder;
  const replicas = new Map<string, ChildDispatcher>();
  let config: string;

  const holder = async (): Promise<string> => {
    const r = await e.cluster.kubectl(["get", "lease", LEASE, "-n", e.namespace, "-o", "jsonpath={.spec.holderIdentity}"]);
    return r.code === 0 ? r.stdout.trim() : "";
  };
  const spawn = (identity: string, run: number): ChildDispatcher => {
    const child = spawnDispatcher(e, config, `${identity}-${String(run)}`, [
      "--leader-elect", `--leader-election-identity=${identity}`, `--leader-election-lease=${LEASE}`,
      `--leader-election-lease-duration=${String(TIMING.lease)}`, `--leader-election-renew-deadline=${String(TIMING.renew)}`,
      `--leader-election-retry-period=${String(TIMING.retry)}`,
    ]);
    replicas.set(identity, child);
    return child;
  };
  /** Waits for a holder other than `old` and reports how long after `since` it took. */
  const takeover = async (old: string, since: number): Promise<{ leader: string; ms: number }> => {
    let leader = "";
    await waitFor(`a leader other than ${old}`, async () => {
      leader = await holder();
      return leader !== "" && leader !== old;
    }, 60_000, 100);
    return { leader, ms: Date.now() - since };
  };

  before(async () => {
    e = await DispatcherEnv.create({ config: { "max-in-flight": 0, "reservation-expiry-seconds": 5, "log-level": "info" } });
    recorder = await JobRecorder.start(e.kube);
    config = writeConfigFile(e);
  });
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    for (const [identity, r] of replicas) {
      const log = readFileSync(r.logPath, "utf8").trimEnd().split("\n").slice(-15).join("\n");
      console.log(`      --- last lines of replica ${identity} (${r.logPath}) ---\n${log}`);
    }
  });
  after(async () => {
    for (const r of replicas.values()) {
      r.child.kill("SIGCONT");
      r.child.kill("SIGKILL");
    }
    recorder?.stop();
    await e?.cleanup({ wait: true });
  });

  it("loses and duplicates nothing across two SIGKILLs and a freeze; a resumed leader acts only after winning the Lease back", async () => {
    const steps: StepSpec[] = Array.from({ length: JOBS }, (_, i) => ({ command: `echo ${String(i)}`, agents: { queue: QUEUE } }));
    const ids = e.standin.enqueueBuild(steps);
    let runs = 0;
    spawn("a", ++runs);
    spawn("b", ++runs);
    const takeovers: number[] = [];

    for (const killAt of [60, 140]) {
      await waitFor(`${String(killAt)} Jobs`, () => recorder.created.size >= killAt, 90_000, 20);
      const leader = await holder();
      const child = replicas.get(leader);
      if (!child) throw new Error(`the lease holder ${leader} is not one of ours`);
      const t = Date.now();
      child.child.kill("SIGKILL");
      await child.exited;
      const next = await takeover(leader, t);
      takeovers.push(next.ms);
      spawn(leader, ++runs); // the killed replica comes back as the standby
    }

    await waitFor("220 Jobs", () => recorder.created.size >= 220, 90_000, 20);
    const frozenId = await holder();
    const frozen = replicas.get(frozenId);
    if (!frozen) throw new Error(`the lease holder ${frozenId} is not one of ours`);
    const tStop = Date.now();
    frozen.child.kill("SIGSTOP");
    const next = await takeover(frozenId, tStop);
    takeovers.push(next.ms);
    await new Promise((r) => setTimeout(r, (TIMING.lease + 1) * 1000)); // frozen well past its lease
    const tResume = Date.now();
    frozen.child.kill("SIGCONT");

    const resolved = (id: string): boolean => recorder.created.has(`buildkite-${id}`);
    await waitFor("every job has its Kubernetes Job", () => ids.every(resolved), 120_000, 200);
    await new Promise((r) => setTimeout(r, 2000)); // anything still in flight would show up now

    console.log(`      takeovers after SIGKILL, SIGKILL, SIGSTOP: ${takeovers.map((ms) => `${String(ms)} ms`).join(", ")} (lease ${String(TIMING.lease)} s, retry ${String(TIMING.retry)} s); replicas started: ${String(runs)}`);
    expect(recorder.recreated, "Jobs created twice").to.deep.equal([]);
    const uuids = [...recorder.created.values()].map((j) => j.metadata?.labels?.["buildkite.com/job-uuid"]);
    expect(new Set(uuids).size, "one Job per job UUID").to.equal(uuids.length);
    expect(recorder.created.size, "every job has a Job").to.equal(JOBS);
    expect(e.standin.jobs().filter((j) => j.finish?.by === "stack").map((j) => j.id), "jobs finished by a stack").to.deep.equal([]);
    // Expected: within the lease duration plus one retry period; the bound leaves room for a busy
    // 2-core CI machine (the measured times are printed above).
    for (const t of takeovers) expect(t, "takeover time").to.be.below((2 * TIMING.lease + TIMING.retry) * 1000);

    // The frozen process, once resumed, must not reserve until it holds the Lease again. It says it
    // lost the Lease at its first round after resuming, which can wait for a request that was in
    // flight when it froze (up to its 10 s timeout).
    const logLines = (): { time: number; msg: string }[] =>
      readFileSync(frozen.logPath, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { time: number; msg: string });
    await waitFor("the resumed process to log that it lost the Lease", () => logLines().some((l) => l.time >= tResume && l.msg === "stopped leading"), 20_000, 200);
    const lines = logLines();
    const regained = lines.find((l) => l.time >= tResume && l.msg === "became leader")?.time ?? Infinity;
    const reservedWhileNotLeader = lines.filter((l) => l.time >= tResume && l.time < regained && l.msg === "reserved jobs");
    expect(reservedWhileNotLeader, "reservations by the resumed process before it won the Lease back").to.deep.equal([]);
    expect(lines.some((l) => l.time >= tResume && l.msg === "stopped leading"), "the resumed process noticed it had lost the Lease").to.equal(true);
  });
});
