// batch-reserve: reservations hide jobs, expire back to `scheduled` on the
// injected clock, can be extended by their holder, and are refused to others.
import assert from "node:assert/strict";
import { StacksApiError } from "../../../dispatcher/api/index.ts";
import { QUEUE, rejection, STACK_KEY, startHarness } from "./helpers.ts";
import type { Harness } from "./helpers.ts";

describe("stacks client ↔ stand-in: reservations", () => {
  let h: Harness;
  let id: string;
  beforeEach(async () => {
    h = await startHarness();
    await h.register();
    id = h.standin.enqueue({ command: "make test", agents: { queue: QUEUE } });
  });
  afterEach(() => h.stop());

  const listed = async () => (await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE })).body.jobs.map((j) => j.id);
  const state = async () => (await h.client.getJobStates(STACK_KEY, [id])).body.states[id];

  it("returns a job to `scheduled` when its reservation expires", async () => {
    await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id], reservation_expiry_seconds: 60 });
    assert.equal(await state(), "reserved");
    assert.deepEqual(await listed(), []);
    h.clock.advance(59_999);
    assert.equal(await state(), "reserved");
    h.clock.advance(1);
    assert.equal(await state(), "scheduled");
    assert.deepEqual(await listed(), [id]);
    const history = h.standin.job(id)?.history.map((e) => e.reason);
    assert.deepEqual(history?.slice(-1), ["reservation expired"]);
  });

  it("uses the documented 900 s default when no expiry is sent", async () => {
    await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id] });
    h.clock.advance(899_000);
    assert.equal(await state(), "reserved");
    h.clock.advance(1_000);
    assert.equal(await state(), "scheduled");
  });

  it("lets the holder extend its reservation, and lets it be re-reserved after expiry", async () => {
    await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id], reservation_expiry_seconds: 60 });
    h.clock.advance(50_000);
    const again = await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id], reservation_expiry_seconds: 60 });
    assert.deepEqual(again.body.reserved, [id]);
    h.clock.advance(50_000);
    assert.equal(await state(), "reserved", "extended to 110 s");
    h.clock.advance(10_000);
    assert.equal(await state(), "scheduled");
    assert.deepEqual((await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id] })).body.reserved, [id]);
  });

  it("refuses a job another stack holds, or one an agent took", async () => {
    const other = h.makeClient();
    await other.registerStack({ key: "other-stack", type: "custom", queue_key: QUEUE, metadata: {} });
    await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id] });
    const theirs = await other.batchReserveJobs("other-stack", { job_uuids: [id] });
    assert.deepEqual(theirs.body, { reserved: [], not_reserved: [id] });
    h.standin.acquire(id);
    const mine = await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id] });
    assert.deepEqual(mine.body, { reserved: [], not_reserved: [id] });
  });

  it("answers 422 for an expiry over 3600 s or more than 1000 job_uuids", async () => {
    const tooLong = await rejection(() => h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id], reservation_expiry_seconds: 3601 }));
    assert.ok(tooLong instanceof StacksApiError);
    assert.equal(tooLong.status, 422);
    const tooMany = await rejection(() => h.client.batchReserveJobs(STACK_KEY, { job_uuids: Array.from({ length: 1001 }, (_, i) => `j${i}`) }));
    assert.ok(tooMany instanceof StacksApiError && tooMany.status === 422);
    assert.equal(h.standin.job(id)?.state, "scheduled");
  });
});
