import { expect } from "chai";
import { getEventListeners } from "node:events";
import { WorkerPool } from "../../../dispatcher/loop/worker-pool.ts";

describe("dispatcher worker pool", () => {
  it("runs at most `concurrency` handlers at once, highest priority first", async () => {
    const started: string[] = [];
    let running = 0;
    let most = 0;
    const pool = new WorkerPool<{ id: string; priority: number }>({
      concurrency: 2,
      handle: async (item) => {
        started.push(item.id);
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 10));
        running--;
      },
      onError: () => undefined,
    });
    for (const [id, priority] of [["a", 1], ["b", 3], ["c", 2], ["d", 5]] as const) pool.push({ id, priority });
    pool.start();
    while (pool.queue.size > 0 || pool.busy > 0) await new Promise((r) => setTimeout(r, 5));
    await pool.stop();
    expect(most).to.equal(2);
    expect(started).to.deep.equal(["d", "b", "c", "a"]);
  });

  it("applies back-pressure with waitForRoom without piling up abort listeners", async () => {
    const abort = new AbortController();
    const pool = new WorkerPool<{ id: string; priority: number }>({ concurrency: 1, handle: () => new Promise((r) => setTimeout(r, 1)), onError: () => undefined });
    pool.start();
    let produced = 0;
    const producers = Array.from({ length: 5 }, async (_, p) => {
      for (let i = 0; i < 40; i++) {
        await pool.waitForRoom(3, abort.signal);
        expect(pool.queue.size).to.be.below(3 + 5);
        pool.push({ id: `${p}-${i}`, priority: 0 });
        produced++;
      }
    });
    await Promise.all(producers);
    expect(produced).to.equal(200);
    expect(getEventListeners(abort.signal, "abort")).to.have.length(0);
    await pool.stop();
  });

  it("reports handler errors and keeps going", async () => {
    const errors: string[] = [];
    const done: string[] = [];
    const pool = new WorkerPool<{ id: string; priority: number }>({
      concurrency: 1,
      handle: async (item) => {
        if (item.id === "bad") throw new Error("boom");
        done.push(item.id);
      },
      onError: (_err, item) => errors.push(item.id),
    });
    pool.start();
    pool.push({ id: "bad", priority: 1 });
    pool.push({ id: "good", priority: 0 });
    while (done.length === 0) await new Promise((r) => setTimeout(r, 5));
    await pool.stop();
    expect(errors).to.deep.equal(["bad"]);
    expect(done).to.deep.equal(["good"]);
  });
});
