import { expect } from "chai";
import fc from "fast-check";
import { DispatchLedger } from "../../../dispatcher/loop/ledger.ts";
import type { LocalStage } from "../../../dispatcher/loop/ledger.ts";

describe("dispatcher ledger (capacity and duplicates)", () => {
  it("counts reserved, dispatching and created jobs plus unfinished cluster Jobs", () => {
    const ledger = new DispatchLedger(5);
    ledger.setStage("a", "queued");
    ledger.setStage("b", "dispatching");
    ledger.setStage("c", "created");
    ledger.setStage("d", "finishing");
    ledger.observeJob("e", false);
    ledger.observeJob("f", true);
    expect(ledger.inFlight()).to.equal(4);
    expect(ledger.freeSlots()).to.equal(1);
    for (const id of ["a", "b", "c", "d", "e", "f"]) expect(ledger.isKnown(id), id).to.equal(true);
    expect(ledger.isKnown("g")).to.equal(false);
  });

  it("does not count a job twice when the informer reports it before the create returns", () => {
    const ledger = new DispatchLedger(2);
    ledger.setStage("a", "dispatching");
    ledger.observeJob("a", false);
    expect(ledger.inFlight()).to.equal(1);
    ledger.setStage("a", "created");
    expect(ledger.stage("a")).to.equal(undefined);
    expect(ledger.inFlight()).to.equal(1);
  });

  it("returns the slot when the Job finishes or is deleted, and forgets the job only on delete", () => {
    const ledger = new DispatchLedger(1);
    ledger.setStage("a", "created");
    ledger.observeJob("a", false);
    expect(ledger.freeSlots()).to.equal(0);
    ledger.observeJob("a", true);
    expect(ledger.freeSlots()).to.equal(1);
    expect(ledger.isKnown("a")).to.equal(true);
    ledger.forgetJob("a");
    expect(ledger.isKnown("a")).to.equal(false);
  });

  it("reconcile rebuilds the cluster view and drops stale created placeholders", () => {
    let now = 0;
    const ledger = new DispatchLedger(10, () => now);
    ledger.observeJob("gone", false);
    ledger.setStage("lost", "created");
    now = 61_000;
    ledger.setStage("fresh", "created");
    const dropped = ledger.reconcile(new Map([["x", false]]), 60_000);
    expect(dropped).to.deep.equal(["lost"]);
    expect(ledger.isKnown("gone")).to.equal(false);
    expect(ledger.inFlight()).to.equal(2); // x and fresh
  });

  it("is unlimited at 0", () => {
    const ledger = new DispatchLedger(0);
    for (let i = 0; i < 100; i++) ledger.observeJob(String(i), false);
    expect(ledger.freeSlots()).to.equal(Number.POSITIVE_INFINITY);
  });

  it("never leaks: after any event sequence, in-flight equals the size of the union it describes", () => {
    const stages: LocalStage[] = ["queued", "dispatching", "created", "finishing"];
    const op = fc.oneof(
      fc.record({ kind: fc.constant("stage" as const), id: fc.integer({ min: 0, max: 9 }), stage: fc.constantFrom(...stages) }),
      fc.record({ kind: fc.constant("release" as const), id: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant("observe" as const), id: fc.integer({ min: 0, max: 9 }), finished: fc.boolean() }),
      fc.record({ kind: fc.constant("forget" as const), id: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
      const ledger = new DispatchLedger(3);
      const local = new Map<string, LocalStage>();
      const cluster = new Map<string, boolean>();
      for (const o of ops) {
        const id = String(o.id);
        if (o.kind === "stage") {
          ledger.setStage(id, o.stage);
          if (o.stage === "created" && cluster.has(id)) local.delete(id);
          else local.set(id, o.stage);
        } else if (o.kind === "release") {
          ledger.release(id);
          local.delete(id);
        } else if (o.kind === "observe") {
          ledger.observeJob(id, o.finished);
          cluster.set(id, o.finished);
          if (local.get(id) === "created") local.delete(id);
        } else {
          ledger.forgetJob(id);
          cluster.delete(id);
        }
        const expected = new Set<string>();
        for (const [k, finished] of cluster) if (!finished) expected.add(k);
        for (const [k, stage] of local) if (stage !== "finishing" && !cluster.has(k)) expected.add(k);
        expect(ledger.inFlight()).to.equal(expected.size);
        expect(ledger.freeSlots()).to.equal(Math.max(0, 3 - expected.size));
      }
    }));
  });
});
