import { expect } from "chai";
import { StacksClient } from "../../../dispatcher/api/index.ts";
import type { QueuedJob } from "../../../dispatcher/dispatch-job.ts";
import { stackTags } from "../../../dispatcher/loop/agent-tags.ts";
import { DispatchLedger } from "../../../dispatcher/loop/ledger.ts";
import { PauseGate } from "../../../dispatcher/loop/pause-gate.ts";
import { createDispatcherMetrics } from "../../../dispatcher/metrics.ts";
import { Monitor } from "../../../dispatcher/monitor.ts";
import type { MonitorDeps } from "../../../dispatcher/monitor.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";
import { silentLogger } from "./helpers.ts";

describe("dispatcher monitor (poll, match, reserve up to capacity)", () => {
  let standin: StandinHandle;
  let client: StacksClient;
  let n = 0;

  beforeEach(async () => {
    standin = await startStandin({ rateLimits: false });
    client = new StacksClient({ token: standin.token, endpoint: standin.url });
  });
  afterEach(() => standin.stop());

  async function monitor(over: Partial<MonitorDeps> & { max?: number; tags?: string[] } = {}) {
    const stackKey = `stack-${n++}`;
    await client.registerStack({ key: stackKey, type: "custom", queue_key: "k8s", metadata: {} });
    const queued: QueuedJob[] = [];
    const ledger = over.ledger ?? new DispatchLedger(over.max ?? 0);
    const pause = new PauseGate();
    const m = new Monitor({
      client, stackKey, queueKey: "k8s", stack: stackTags({ queue: "k8s", tags: over.tags ?? ["os=linux"] }), ledger, pause,
      enableQueuePause: true, pollIntervalMs: 1000, pageSize: 1000, depthLimit: 2, reservationExpirySeconds: 60,
      queueRoom: () => 1000, enqueue: (j) => queued.push(j), reserved: () => undefined, onPoll: () => undefined,
      metrics: createDispatcherMetrics({ maxInFlight: over.max ?? 0 }), logger: silentLogger(), ...over,
    });
    return { m, queued, ledger, pause, stackKey };
  }

  it("reserves matching jobs, highest priority first, and skips jobs whose tags do not match", async () => {
    const low = standin.enqueue({ command: "a", agents: { queue: "k8s" }, priority: 1 });
    const high = standin.enqueue({ command: "b", agents: { queue: "k8s", os: "linux" }, priority: 9 });
    const other = standin.enqueue({ command: "c", agents: { queue: "k8s", os: "windows" }, priority: 5 });
    const any = standin.enqueue({ command: "d", agents: { queue: "k8s", os: "*" }, priority: 1 });
    const { m, queued, ledger } = await monitor();
    await m.pollOnce();
    expect(queued.map((q) => q.id)).to.deep.equal([high, low, any]);
    expect(queued[0]?.agentQueryRules).to.deep.equal(["queue=k8s", "os=linux"]);
    expect(standin.job(other)?.state).to.equal("scheduled");
    expect(standin.job(high)?.state).to.equal("reserved");
    expect(ledger.stage(high)).to.equal("queued");
  });

  it("reserves only as many jobs as there are free slots, the most important first", async () => {
    const ids = [0, 5, 1, 7, 3].map((priority) => standin.enqueue({ command: "x", agents: { queue: "k8s" }, priority }));
    const ledger = new DispatchLedger(3);
    ledger.observeJob("already-running", false);
    const { m, queued } = await monitor({ ledger });
    await m.pollOnce();
    expect(queued.map((q) => q.priority)).to.deep.equal([7, 5]);
    expect(standin.jobs().filter((j) => j.state === "reserved").map((j) => j.id).sort()).to.deep.equal([ids[1], ids[3]].sort());
    await m.pollOnce();
    expect(queued).to.have.length(2);
  });

  it("does not reserve a job it already holds", async () => {
    const id = standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    const ledger = new DispatchLedger(0);
    ledger.observeJob(id, false);
    const { m, queued } = await monitor({ ledger });
    await m.pollOnce();
    expect(queued).to.deep.equal([]);
    expect(standin.job(id)?.state).to.equal("scheduled");
  });

  it("reads up to pagination-depth-limit pages", async () => {
    for (let i = 0; i < 7; i++) standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    const { m, queued } = await monitor({ pageSize: 2, depthLimit: 3 });
    await m.pollOnce();
    expect(queued).to.have.length(6);
    const lists = standin.calls("listScheduledJobs");
    expect(lists).to.have.length(3);
    expect(lists[1]?.query.after).to.be.a("string");
  });

  it("reserves nothing while the queue is paused, and resumes when it is not", async () => {
    standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    standin.pauseQueue("k8s");
    const { m, queued, pause } = await monitor();
    await m.pollOnce();
    expect(pause.paused).to.equal(true);
    expect(queued).to.deep.equal([]);
    standin.pauseQueue("k8s", false);
    await m.pollOnce();
    expect(pause.paused).to.equal(false);
    expect(queued).to.have.length(1);
  });

  it("keeps polling (one job per page) when there is no capacity, to stay connected", async () => {
    standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    const ledger = new DispatchLedger(1);
    ledger.observeJob("busy", false);
    const { m, queued } = await monitor({ ledger });
    await m.pollOnce();
    expect(queued).to.deep.equal([]);
    expect(standin.calls("listScheduledJobs").at(-1)?.query.limit).to.equal("1");
  });

  it("honours Retry-After from a 429 and keeps going after errors", async () => {
    standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    const polls: boolean[] = [];
    const { m, queued } = await monitor({ pollIntervalMs: 50, onPoll: (ok) => polls.push(ok) });
    standin.failNext({ endpoint: "listScheduledJobs", status: 429, retryAfterSeconds: 1 });
    const abort = new AbortController();
    const started = Date.now();
    const run = m.run(abort.signal);
    while (queued.length === 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    await run;
    expect(polls.slice(0, 2)).to.deep.equal([false, true]);
    expect(Date.now() - started).to.be.greaterThanOrEqual(1000);
  });
});
