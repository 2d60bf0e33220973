// The endpoints of replicas under leader election: a standby serves /healthz, /readyz and /metrics
// as the leader does; its readiness is whether its Lease rounds reach the apiserver, the leader's
// is its dispatcher's; the agentify_dispatcher_leader gauge says which one leads.
import { expect } from "chai";
import { LeaderElector } from "../../../dispatcher/leader/elector.ts";
import { electedNotReadyReason } from "../../../dispatcher/leader/endpoints.ts";
import { startElectedDispatcher, type ElectedDispatcher } from "../../../dispatcher/leader/ha.ts";
import { DispatchLedger } from "../../../dispatcher/loop/ledger.ts";
import { createDispatcherMetrics } from "../../../dispatcher/metrics.ts";
import type { DispatcherHandle, StartDispatcherOptions } from "../../../dispatcher/start.ts";
import { defaultConfig } from "../../../webhook/core/index.ts";
import { silentLogger } from "./helpers.ts";
import { MemoryLease } from "./memory-lease.ts";

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function fakeDispatcher(reason: { value: string | undefined }): DispatcherHandle {
  const metrics = createDispatcherMetrics({ maxInFlight: 3 });
  return {
    stackKey: "agentify", queueKey: "q", metrics, ledger: new DispatchLedger(3), httpUrl: undefined,
    notReadyReason: () => reason.value, stop: async () => undefined,
  };
}

describe("leader election: /readyz of a replica", function () {
  let now: number;
  let lease: MemoryLease;
  let stopping: boolean;
  const elector = (identity: string): LeaderElector => new LeaderElector({ identity, api: lease, timing, now: () => now });

  beforeEach(() => {
    now = 1_000_000;
    lease = new MemoryLease();
    stopping = false;
  });

  it("a standby is ready while its Lease rounds reach the apiserver, and says why not otherwise", async () => {
    const a = elector("a");
    const b = elector("b");
    const state = { elector: b, current: () => undefined, stopping: () => stopping, now: () => now };
    expect(electedNotReadyReason(state)).to.equal("standby: no Lease round has completed yet");
    await a.tick();
    await b.tick();
    expect(electedNotReadyReason(state)).to.equal(undefined);

    lease.failing = true;
    now += 2_000;
    await b.tick();
    expect(electedNotReadyReason(state)).to.equal("standby: the last Lease round failed: apiserver unavailable");
    lease.failing = false;
    now += 2_000;
    await b.tick();
    expect(electedNotReadyReason(state)).to.equal(undefined);

    // No round for longer than a lease duration (a hung request): not ready either.
    now += timing.leaseDurationMs + 1;
    expect(electedNotReadyReason(state)).to.equal("standby: no Lease round completed in the last 15 s");
    stopping = true;
    expect(electedNotReadyReason(state)).to.equal("stopping");
  });

  it("the leader answers with its dispatcher's readiness, and is not ready while the dispatcher starts", async () => {
    const a = elector("a");
    await a.tick();
    const leading: { dispatcher?: DispatcherHandle } = {};
    const reason = { value: "stack not registered yet" as string | undefined };
    const state = { elector: a, current: () => leading.dispatcher, stopping: () => stopping, now: () => now };
    expect(electedNotReadyReason(state)).to.equal("leader: the dispatcher is starting");
    leading.dispatcher = fakeDispatcher(reason);
    expect(electedNotReadyReason(state)).to.equal("stack not registered yet");
    reason.value = undefined;
    expect(electedNotReadyReason(state)).to.equal(undefined);
    // A leader whose Lease rounds fail stays ready until it stops leading; then it is a standby
    // whose last round failed.
    lease.failing = true;
    now += timing.renewDeadlineMs;
    await a.tick();
    expect(electedNotReadyReason(state)).to.equal("standby: the last Lease round failed: apiserver unavailable");
  });
});

describe("leader election: the endpoints of two replicas", function () {
  this.timeout(10_000);
  const fast = { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100 };
  let lease: MemoryLease;
  const running: ElectedDispatcher[] = [];
  const reasons = new Map<string, { value: string | undefined }>();
  const started: StartDispatcherOptions[] = [];

  const start = async (identity: string): Promise<ElectedDispatcher> => {
    const reason = { value: undefined as string | undefined };
    reasons.set(identity, reason);
    const replica = await startElectedDispatcher(
      { config: defaultConfig(), kubeConfig: { server: "https://127.0.0.1:1", insecureSkipTlsVerify: false }, logger: silentLogger(), http: { port: 0, host: "127.0.0.1" } },
      {
        namespace: "ci", leaseName: "agentify-dispatcher", identity, timing: fast, api: lease,
        runDispatcher: async (opts) => {
          started.push(opts);
          return fakeDispatcher(reason);
        },
      },
    );
    running.push(replica);
    return replica;
  };
  const get = async (replica: ElectedDispatcher, path: string): Promise<{ status: number; text: string }> => {
    const res = await fetch(`${replica.httpUrl ?? "http://missing"}${path}`);
    return { status: res.status, text: await res.text() };
  };
  const until = async (what: string, check: () => Promise<boolean> | boolean): Promise<void> => {
    const deadline = Date.now() + 5_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const sample = (text: string, series: string): string | undefined =>
    text.split("\n").find((l) => l.startsWith(`${series} `))?.slice(series.length + 1);

  beforeEach(() => {
    lease = new MemoryLease();
    started.length = 0;
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
  });

  it("the standby serves /healthz, /readyz and /metrics with the leader gauge at 0; the leader's gauge is 1 with its dispatcher's metrics", async () => {
    const a = await start("a");
    await until("a leading", () => a.current() !== undefined);
    const b = await start("b");
    await until("b's first round", () => b.elector.lastRound().okAt !== undefined);

    expect(await get(b, "/healthz")).to.deep.equal({ status: 200, text: "ok\n" });
    expect(await get(b, "/readyz")).to.deep.equal({ status: 200, text: '{"ready":true}\n' });
    const standby = (await get(b, "/metrics")).text;
    expect(sample(standby, "agentify_dispatcher_leader")).to.equal("0");
    expect(sample(standby, 'agentify_dispatcher_leader_transitions_total{to="leader"}')).to.equal("0");
    expect(standby).to.include("agentify_dispatcher_process_resident_memory_bytes");
    expect(standby, "a standby exports no dispatcher metrics").to.not.include("agentify_dispatcher_polls_total");

    const leader = (await get(a, "/metrics")).text;
    expect(sample(leader, "agentify_dispatcher_leader")).to.equal("1");
    expect(sample(leader, 'agentify_dispatcher_leader_transitions_total{to="leader"}')).to.equal("1");
    expect(sample(leader, "agentify_dispatcher_max_in_flight")).to.equal("3");
    expect(leader.split("\n").filter((l) => l.startsWith("# TYPE agentify_dispatcher_process_start_time_seconds ")), "process metrics once").to.have.length(1);
    expect(await get(a, "/readyz")).to.deep.equal({ status: 200, text: '{"ready":true}\n' });
    // The dispatcher itself serves no second set of endpoints and no second copy of the process metrics.
    expect(started.map((o) => [o.http, o.processMetrics])).to.deep.equal([[false, false]]);
    reasons.get("a")!.value = "stack not registered yet";
    expect(await get(a, "/readyz")).to.deep.equal({ status: 503, text: '{"ready":false,"reason":"stack not registered yet"}\n' });
  });

  it("a standby that cannot reach the apiserver is not ready and still healthy; after a takeover its gauge is 1", async () => {
    const a = await start("a");
    await until("a leading", () => a.current() !== undefined);
    const b = await start("b");
    await until("b's first round", () => b.elector.lastRound().okAt !== undefined);

    lease.failing = true;
    await until("b's failed round", () => b.elector.lastRound().error !== undefined);
    expect(await get(b, "/readyz")).to.deep.equal({ status: 503, text: '{"ready":false,"reason":"standby: the last Lease round failed: apiserver unavailable"}\n' });
    expect((await get(b, "/healthz")).status).to.equal(200);
    lease.failing = false;
    await until("b ready again", async () => (await get(b, "/readyz")).status === 200);

    await running.splice(running.indexOf(a), 1)[0]?.stop(); // releases the Lease
    await until("b leading", () => b.current() !== undefined);
    const text = (await get(b, "/metrics")).text;
    expect(sample(text, "agentify_dispatcher_leader")).to.equal("1");
    expect(sample(text, 'agentify_dispatcher_leader_transitions_total{to="leader"}')).to.equal("1");
    expect(sample(text, "agentify_dispatcher_max_in_flight")).to.equal("3");
    expect(a.httpUrl && (await fetch(`${a.httpUrl}/healthz`).then(() => "answered", () => "closed"))).to.equal("closed");
  });
});
