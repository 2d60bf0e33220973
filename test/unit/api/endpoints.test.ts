// Happy path of every endpoint, client against stand-in, and what went over the wire.
import assert from "node:assert/strict";
import { isQueuePaused } from "../../../dispatcher/api/index.ts";
import { QUEUE, STACK_KEY, startHarness } from "./helpers.ts";
import type { Harness } from "./helpers.ts";

describe("stacks client ↔ stand-in: endpoints", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.stop());

  it("GET /token describes the cluster token", async () => {
    const { body, status } = await h.client.getTokenIdentity();
    assert.equal(status, 200);
    assert.equal(body.token_type, "cluster");
    assert.match(body.cluster_uuid, /^[0-9a-f-]{36}$/);
    assert.equal(body.organization_slug, "standin-org");
  });

  it("GET /token reports an unclustered token as cluster_uuid \"\"", async () => {
    const unclustered = await startHarness({ clusterUuid: "" });
    try {
      assert.equal((await unclustered.client.getTokenIdentity()).body.cluster_uuid, "");
    } finally {
      await unclustered.stop();
    }
  });

  it("registers a stack (201), re-registers idempotently (200) and deregisters (204)", async () => {
    const first = await h.client.registerStack({ key: STACK_KEY, type: "custom", queue_key: QUEUE, metadata: { v: "1" } });
    assert.equal(first.status, 201);
    assert.equal(first.body.key, STACK_KEY);
    assert.equal(first.body.cluster_queue_key, QUEUE);
    assert.deepEqual(first.body.metadata, { v: "1" });
    assert.equal(first.body.state, "connected");
    const again = await h.client.registerStack({ key: STACK_KEY, type: "custom", queue_key: QUEUE, metadata: {} });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    const gone = await h.client.deregisterStack(STACK_KEY);
    assert.equal(gone.status, 204);
    assert.equal(gone.body, null);
    assert.equal(h.standin.stacks()[0]?.deregistered, true);
  });

  it("lists scheduled jobs with the documented fields", async () => {
    await h.register();
    const id = h.standin.enqueue({ key: "build", command: "make", agents: { queue: QUEUE, os: "linux" }, priority: 3 }, { pipeline: "app", branch: "dev" });
    const { body } = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, limit: 10 });
    assert.equal(body.jobs.length, 1);
    const job = body.jobs[0];
    assert.ok(job);
    assert.equal(job.id, id);
    assert.equal(job.priority, 3);
    assert.deepEqual(job.agent_query_rules, ["queue=kubernetes", "os=linux"]);
    assert.equal(new Date(job.scheduled_at).getTime(), h.clock.now());
    assert.equal(job.pipeline.slug, "app");
    assert.equal(job.build.branch, "dev");
    assert.equal(job.build.number, 1);
    assert.equal(job.step.key, "build");
    assert.deepEqual(body.page_info, { has_next_page: false, end_cursor: body.page_info.end_cursor });
    assert.equal(isQueuePaused(body.cluster_queue), false);
  });

  it("reports a paused queue under both flag names", async () => {
    await h.register();
    h.standin.pauseQueue(QUEUE);
    const { body } = await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE });
    assert.equal(body.cluster_queue.paused, true);
    assert.equal(body.cluster_queue.dispatch_paused, true);
    assert.equal(isQueuePaused(body.cluster_queue), true);
  });

  it("reserves, fetches env + command, reads states, finishes, and notifies", async () => {
    await h.register();
    const id = h.standin.enqueue({
      command: ["echo one", "echo two"], image: "alpine:3", agents: { queue: QUEUE },
      plugins: [{ kubernetes: { podSpec: { containers: [{ image: "alpine" }] } } }],
    });
    const reserve = await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id, "00000000-0000-0000-0000-000000000000"], reservation_expiry_seconds: 300 });
    assert.deepEqual(reserve.body, { reserved: [id], not_reserved: ["00000000-0000-0000-0000-000000000000"] });

    const job = await h.client.getJob(STACK_KEY, id);
    assert.equal(job.body.id, id);
    assert.equal(job.body.command, "echo one\necho two");
    assert.equal(job.body.env.BUILDKITE_COMMAND, "echo one\necho two");
    assert.equal(job.body.env.BUILDKITE_JOB_ID, id);
    assert.equal(job.body.env.BUILDKITE_IMAGE, "alpine:3");
    assert.equal(job.body.env.BUILDKITE_AGENT_META_DATA_QUEUE, QUEUE);
    const plugins = JSON.parse(job.body.env.BUILDKITE_PLUGINS ?? "null") as unknown;
    assert.deepEqual(plugins, [{ "github.com/buildkite-plugins/kubernetes-buildkite-plugin": { podSpec: { containers: [{ image: "alpine" }] } } }]);

    const states = await h.client.getJobStates(STACK_KEY, [id, "unknown-uuid"]);
    assert.deepEqual(states.body, { states: { [id]: "reserved" } });

    const finished = await h.client.finishJob(STACK_KEY, id, { exit_status: -1, detail: "pod could not start" });
    assert.equal(finished.status, 200);
    assert.equal(h.standin.job(id)?.state, "finished");
    assert.deepEqual(h.standin.job(id)?.finish?.detail, "pod could not start");

    const notes = await h.client.createNotifications(STACK_KEY, [
      { job_uuid: id, detail: "K8s Job created successfully, waiting for Agent to start...", timestamp: new Date(h.clock.now()).toISOString() },
      { job_uuid: id, detail: "" },
    ]);
    assert.deepEqual(notes.body, { errors: [{ error: "detail is required", indexes: [1] }] });
    assert.equal(h.standin.job(id)?.notifications.length, 1);
  });

  it("sends the Go client's headers, verbs, paths and bodies", async () => {
    await h.register();
    const id = h.standin.enqueue({ command: "true", agents: { queue: QUEUE } });
    await h.client.listScheduledJobs(STACK_KEY, { queueKey: QUEUE, limit: 0, after: "" });
    await h.client.batchReserveJobs(STACK_KEY, { job_uuids: [id], reservation_expiry_seconds: 0 });
    await h.client.finishJob(STACK_KEY, id, { detail: "x" });
    const [register, list, reserve, finish] = h.standin.calls();
    assert.ok(register && list && reserve && finish);
    assert.equal(register.headers.authorization, `Token ${h.standin.token}`);
    assert.equal(list.headers.accept, "application/json");
    assert.equal(list.headers.contentType, "application/json");
    assert.equal(list.headers.userAgent, "agentify-test/0.0.0");
    assert.equal(list.path, `/v3/stacks/${STACK_KEY}/scheduled-jobs`);
    assert.deepEqual(list.query, { queue_key: QUEUE }, "limit 0 and an empty cursor are left out");
    assert.equal(reserve.method, "PUT");
    assert.deepEqual(reserve.body, { job_uuids: [id] }, "expiry 0 is left out (server default)");
    assert.deepEqual(finish.body, { detail: "x" });
  });

  it("crops a long finish detail to 4 KB and a long notification to 256 characters", async () => {
    await h.register();
    const id = h.standin.enqueue({ command: "true", agents: { queue: QUEUE } });
    await h.client.createNotifications(STACK_KEY, [{ job_uuid: id, detail: "é".repeat(400) }]);
    assert.equal([...(h.standin.job(id)?.notifications[0]?.detail ?? "")].length, 256);
    await h.client.finishJob(STACK_KEY, id, { detail: "€".repeat(3000) });
    const detail = h.standin.job(id)?.finish?.detail ?? "";
    assert.ok(Buffer.byteLength(detail) <= 4096);
    assert.ok(detail.endsWith("(Message was cropped because it exceeded the max size)"));
  });
});
