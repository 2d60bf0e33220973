// startElectedDispatcher while the process stops: a round that wins the Lease after the stop began
// (its request was in flight) must not start a dispatcher, which would register and poll during
// shutdown.
import { expect } from "chai";
import { startElectedDispatcher } from "../../../dispatcher/leader/ha.ts";
import type { StoredLease } from "../../../dispatcher/leader/lease.ts";
import { DispatchLedger } from "../../../dispatcher/loop/ledger.ts";
import { createDispatcherMetrics } from "../../../dispatcher/metrics.ts";
import { defaultConfig } from "../../../webhook/core/index.ts";
import { silentLogger } from "./helpers.ts";
import { MemoryLease } from "./memory-lease.ts";

/** A Lease whose reads wait until open() once `gated` is set. */
class GatedLease extends MemoryLease {
  gated = false;
  #waiting: (() => void)[] = [];
  get pending(): number {
    return this.#waiting.length;
  }
  open(): void {
    this.gated = false;
    for (const resume of this.#waiting.splice(0)) resume();
  }
  override async get(): Promise<StoredLease | undefined> {
    if (this.gated) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return super.get();
  }
}

describe("leader election: stopping", function () {
  it("a round that wins the Lease after the stop began starts no dispatcher", async () => {
    const lease = new GatedLease();
    lease.gated = true;
    const started: string[] = [];
    const replica = await startElectedDispatcher(
      { config: defaultConfig(), kubeConfig: { server: "https://127.0.0.1:1", insecureSkipTlsVerify: false }, logger: silentLogger(), http: false },
      {
        namespace: "ci", leaseName: "agentify-dispatcher", identity: "a", api: lease,
        timing: { leaseDurationMs: 1_500, renewDeadlineMs: 1_000, retryPeriodMs: 100 },
        runDispatcher: async () => {
          started.push("a");
          return {
            stackKey: "agentify", queueKey: "q", metrics: createDispatcherMetrics({ maxInFlight: 1 }), ledger: new DispatchLedger(1),
            httpUrl: undefined, notReadyReason: () => undefined, stop: async () => undefined,
          };
        },
      },
    );
    const deadline = Date.now() + 2_000;
    while (lease.pending === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(lease.pending, "a round waiting for the apiserver").to.equal(1);
    const stopped = replica.stop();
    lease.open(); // the round now takes the free Lease
    await stopped;
    expect(started).to.deep.equal([]);
    // The Lease it won is given back.
    expect(lease.stored?.record.holderIdentity).to.equal("");
  });
});
