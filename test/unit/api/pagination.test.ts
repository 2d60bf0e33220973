// scheduled-jobs paging: oldest first, limit/after cursors, queue filtering,
// default-queue aliases, and parameter errors.
import assert from "node:assert/strict";
import { StacksApiError } from "../../../dispatcher/api/index.ts";
import { QUEUE, rejection, STACK_KEY, startHarness } from "./helpers.ts";
import type { Harness } from "./helpers.ts";

describe("stacks client ↔ stand-in: pagination", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    await h.register();
  });
  afterEach(() => h.stop());

  function enqueueSpaced(count: number, queue = QUEUE): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      ids.push(h.standin.enqueue({ command: `job ${i}`, agents: { queue } }));
      h.clock.advance(1000);
    }
    return ids;
  }

  it("walks every page with limit + after, oldest scheduled_at first", async () => {
    const ids = enqueueSpaced(5);
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let after: string | undefined;
    for (;;) {
      const { body } = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, limit: 2, ...(after ? { after } : {}) });
      pageSizes.push(body.jobs.length);
      seen.push(...body.jobs.map((j) => j.id));
      if (!body.page_info.has_next_page) break;
      assert.ok(body.page_info.end_cursor);
      after = body.page_info.end_cursor;
    }
    assert.deepEqual(pageSizes, [2, 2, 1]);
    assert.deepEqual(seen, ids);
  });

  it("orders jobs enqueued at the same instant by arrival", async () => {
    const ids = h.standin.enqueueBuild([1, 2, 3].map((n) => ({ command: `step ${n}`, agents: { queue: QUEUE } })));
    const { body } = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE });
    assert.deepEqual(body.jobs.map((j) => j.id), ids);
    assert.ok(body.jobs.every((j) => j.build.number === 1));
  });

  it("returns an empty last page with a null end_cursor", async () => {
    const { body } = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, limit: 5 });
    assert.deepEqual(body.jobs, []);
    assert.deepEqual(body.page_info, { has_next_page: false, end_cursor: null });
  });

  it("lists only the asked queue; no queue rule means the default queue, also under its aliases", async () => {
    const [k8s] = enqueueSpaced(1);
    const other = h.standin.enqueue({ command: "x", agents: { queue: "other" } });
    const dflt = h.standin.enqueue({ command: "y" });
    const ids = async (queueKey: string) => (await h.client.listScheduledJobs(STACK_KEY, { queueKey })).body.jobs.map((j) => j.id);
    assert.deepEqual(await ids(QUEUE), [k8s]);
    assert.deepEqual(await ids("other"), [other]);
    assert.deepEqual(await ids("default"), [dflt]);
    assert.deepEqual(await ids("_default"), [dflt]);
    assert.deepEqual(await ids("__default__"), [dflt]);
  });

  it("stops listing jobs once reserved; a cursor skips past them", async () => {
    const ids = enqueueSpaced(4);
    const first = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, limit: 2 });
    await h.client.batchReserveJobs(STACK_KEY, { job_uuids: first.body.jobs.map((j) => j.id) });
    const fresh = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, limit: 10 });
    assert.deepEqual(fresh.body.jobs.map((j) => j.id), ids.slice(2));
    const after = first.body.page_info.end_cursor ?? "";
    const next = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, after });
    assert.deepEqual(next.body.jobs.map((j) => j.id), ids.slice(2));
  });

  it("answers 400 for a bad limit or cursor, and 404 for an unknown stack", async () => {
    const badLimit = await rejection(() => h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, limit: 1001 }));
    assert.ok(badLimit instanceof StacksApiError);
    assert.equal(badLimit.status, 400);
    assert.equal(badLimit.permanent, true);
    const badCursor = await rejection(() => h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, after: "not-a-cursor" }));
    assert.ok(badCursor instanceof StacksApiError && badCursor.status === 400);
    const noStack = await rejection(() => h.client.listScheduledJobs("never-registered", { queueKey: QUEUE }));
    assert.ok(noStack instanceof StacksApiError);
    assert.equal(noStack.status, 404);
    assert.equal(noStack.apiMessage, "Stack not found");
  });

  it("answers 404 for an unknown queue when the stand-in is given its queues", async () => {
    const strict = await startHarness({ queues: [QUEUE] });
    try {
      await strict.register();
      const err = await rejection(() => strict.client.listScheduledJobs(STACK_KEY, { queueKey: "nope" }));
      assert.ok(err instanceof StacksApiError && err.status === 404);
      assert.equal(err.apiMessage, "Queue not found");
    } finally {
      await strict.stop();
    }
  });
});
