// Seeded fault injection: reproducible, scoped to endpoints, and the hazard of a
// response lost after the server acted (finish is at most once).
import assert from "node:assert/strict";
import { StacksApiError, StacksTransportError } from "../../../dispatcher/api/index.ts";
import type { FaultConfig } from "../../standin/faults.ts";
import { QUEUE, rejection, STACK_KEY, startHarness } from "./helpers.ts";
import type { Harness } from "./helpers.ts";

describe("stacks client ↔ stand-in: fault injection", () => {
  let h: Harness;
  let id: string;
  beforeEach(async () => {
    h = await startHarness();
    await h.register();
    id = h.standin.enqueue({ command: "true", agents: { queue: QUEUE } });
  });
  afterEach(() => h.stop());

  /** Status of each of `count` single-attempt get-states calls (null = dropped). */
  async function outcomes(harness: Harness, faults: FaultConfig, count: number): Promise<(number | null)[]> {
    harness.standin.setFaults(faults);
    harness.standin.clearCalls();
    for (let i = 0; i < count; i++) {
      await harness.client.getJobStates(STACK_KEY, [id], { maxAttempts: 1 }).catch(() => undefined);
    }
    return harness.standin.calls("getJobStates").map((c) => c.status);
  }

  it("replays the same faults for the same seed, and different ones for another", async () => {
    const faults = { seed: 42, errorRate: 0.3, dropRate: 0.2 };
    const first = await outcomes(h, faults, 40);
    const second = await outcomes(h, faults, 40);
    assert.deepEqual(second, first);
    assert.ok(first.includes(200) && first.includes(null) && first.some((s) => s !== null && s >= 500), JSON.stringify(first));
    const other = await outcomes(h, { ...faults, seed: 7 }, 40);
    assert.notDeepEqual(other, first);
  });

  it("injects errors with the configured statuses and Retry-After", async () => {
    h.standin.setFaults({ errorRate: 1, errorStatuses: [503], retryAfterSeconds: 2 });
    const err = await rejection(() => h.client.getJobStates(STACK_KEY, [id], { maxAttempts: 1 }));
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 503);
    assert.equal(err.retryAfterMs, 2000);
    assert.deepEqual(h.standin.calls("getJobStates")[0]?.faults, ["error"]);
  });

  it("limits faults to the chosen endpoints", async () => {
    h.standin.setFaults({ errorRate: 1, endpoints: ["finishJob"] });
    assert.equal((await h.client.getJobStates(STACK_KEY, [id])).status, 200);
    const err = await rejection(() => h.client.finishJob(STACK_KEY, id, { detail: "x" }, { maxAttempts: 1 }));
    assert.ok(err instanceof StacksApiError && err.status >= 500);
    h.standin.setFaults(null);
    assert.equal((await h.client.finishJob(STACK_KEY, id, { detail: "x" })).status, 200);
  });

  it("adds latency within the configured range", async () => {
    h.standin.setFaults({ latencyMs: { min: 50, max: 80 } });
    const started = Date.now();
    await h.client.getJobStates(STACK_KEY, [id]);
    assert.ok(Date.now() - started >= 45);
    assert.deepEqual(h.standin.calls("getJobStates")[0]?.faults, ["latency"]);
  });

  it("a finish whose answer is lost still counts: the retry gets 422", async () => {
    h.standin.failNext({ endpoint: "finishJob", drop: "after" });
    const err = await rejection(() => h.client.finishJob(STACK_KEY, id, { detail: "pod failed" }, { maxAttempts: 2 }));
    assert.equal(h.standin.job(id)?.state, "finished", "the first attempt took effect");
    assert.ok(err instanceof StacksApiError);
    assert.equal(err.status, 422);
    assert.equal(err.attempts, 2);
    assert.deepEqual(h.standin.calls("finishJob").map((c) => c.status), [null, 422]);
  });

  it("a dropped reserve answer leaves the job reserved by us, and reserving again confirms it", async () => {
    h.standin.failNext({ endpoint: "batchReserve", drop: "after" });
    const err = await rejection(() => h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id] }));
    assert.ok(err instanceof StacksTransportError);
    const again = await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id] });
    assert.deepEqual(again.body.reserved, [id]);
  });
});
