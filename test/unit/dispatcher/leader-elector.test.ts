// Leader election rules on an in-memory Lease with a manual clock: one leader at a time, takeover
// only after a full lease duration without renewal as the candidate observed it, the leader stops
// before its renew deadline, and a frozen leader is not leader the moment it resumes.
import { expect } from "chai";
import { LeaderElector } from "../../../dispatcher/leader/elector.ts";
import { MemoryLease } from "./memory-lease.ts";

const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

describe("leader election", function () {
  let now: number;
  let lease: MemoryLease;
  const events: string[] = [];
  const elector = (identity: string): LeaderElector => new LeaderElector({
    identity, api: lease, timing, now: () => now,
    onStartedLeading: () => events.push(`${identity} started`),
    onStoppedLeading: (why) => events.push(`${identity} stopped: ${why}`),
  });

  beforeEach(() => {
    now = 1_000_000;
    lease = new MemoryLease();
    events.length = 0;
  });

  it("the first candidate takes a missing Lease; the second waits", async function () {
    const a = elector("a");
    const b = elector("b");
    expect(await a.tick()).to.equal(true);
    expect(await b.tick()).to.equal(false);
    expect(lease.stored?.record).to.include({ holderIdentity: "a", leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(events).to.deep.equal(["a started"]);
  });

  it("a renewing leader keeps the Lease forever; the standby never takes it", async function () {
    const a = elector("a");
    const b = elector("b");
    await a.tick();
    for (let i = 0; i < 50; i++) {
      now += 2_000;
      expect(await a.tick()).to.equal(true);
      expect(await b.tick()).to.equal(false);
    }
    expect(lease.stored?.record.holderIdentity).to.equal("a");
  });

  it("the standby takes over one lease duration after the leader's last renewal it observed", async function () {
    const a = elector("a");
    const b = elector("b");
    await a.tick();
    await b.tick(); // b observes a's renewal now
    now += 14_999;
    expect(await b.tick()).to.equal(false);
    now += 1;
    expect(await b.tick()).to.equal(true);
    expect(lease.stored?.record).to.include({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("does not trust the holder's clock: a renewTime far in the past still counts from when it was seen", async function () {
    await lease.create({ holderIdentity: "x", leaseDurationSeconds: 15, acquireTime: "2000-01-01T00:00:00.000000Z", renewTime: "2000-01-01T00:00:00.000000Z", leaseTransitions: 3 });
    const b = elector("b");
    expect(await b.tick()).to.equal(false);
    now += 15_000;
    expect(await b.tick()).to.equal(true);
    expect(lease.stored?.record.leaseTransitions).to.equal(4);
  });

  it("a leader that cannot renew stops at its renew deadline, before the lease duration", async function () {
    const a = elector("a");
    await a.tick();
    lease.failing = true;
    now += 9_999;
    expect(await a.tick()).to.equal(true);
    now += 1;
    expect(a.isLeader()).to.equal(false);
    expect(await a.tick()).to.equal(false);
    expect(events.at(-1)).to.match(/^a stopped: not renewed for 10000 ms/);
  });

  it("a frozen leader is not leader when it resumes, and acts as leader only after winning the Lease back", async function () {
    const a = elector("a");
    const b = elector("b");
    await a.tick();
    await b.tick();
    now += 20_000; // a is frozen (SIGSTOP) past its lease; b takes over
    expect(await b.tick()).to.equal(true);
    expect(a.isLeader(), "the instant a resumes").to.equal(false);
    expect(await a.tick(), "a's first round after resuming").to.equal(false);
    for (let i = 0; i < 5; i++) {
      now += 2_000;
      expect(await b.tick()).to.equal(true);
      expect(await a.tick()).to.equal(false);
    }
    expect(events).to.include("a stopped: not renewed for 20000 ms (renew deadline 10000 ms)");
  });

  it("two candidates racing for an expired Lease: exactly one wins (optimistic concurrency)", async function () {
    await lease.create({ holderIdentity: "x", leaseDurationSeconds: 15, acquireTime: "2000-01-01T00:00:00.000000Z", renewTime: "2000-01-01T00:00:00.000000Z", leaseTransitions: 0 });
    const a = elector("a");
    const b = elector("b");
    await Promise.all([a.tick(), b.tick()]);
    now += 15_000;
    const [wa, wb] = await Promise.all([a.tick(), b.tick()]);
    expect([wa, wb].filter(Boolean)).to.have.length(1);
  });

  it("release hands the Lease over at the standby's next round", async function () {
    const a = elector("a");
    const b = elector("b");
    await a.tick();
    await b.tick();
    await a.release();
    expect(a.isLeader()).to.equal(false);
    now += 2_000;
    expect(await b.tick()).to.equal(true);
  });

  it("refuses timings where the leader could outlive its lease", function () {
    expect(() => new LeaderElector({ identity: "a", api: lease, timing: { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 } })).to.throw("renew deadline must be shorter than the lease duration");
    expect(() => new LeaderElector({ identity: "a", api: lease, timing: { retryPeriodMs: 10_000 } })).to.throw("retry period must be shorter than the renew deadline");
  });
});
