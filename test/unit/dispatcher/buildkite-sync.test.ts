import { expect } from "chai";
import { StacksClient } from "../../../dispatcher/api/index.ts";
import { BuildkiteSync } from "../../../dispatcher/buildkite-sync.ts";
import { StateLookup } from "../../../dispatcher/buildkite/state-lookup.ts";
import type { QueuedJob } from "../../../dispatcher/dispatch-job.ts";
import type { KubeClients } from "../../../dispatcher/kube/clients.ts";
import type { JobFacts, PodFacts } from "../../../dispatcher/kube/facts.ts";
import { DispatchLedger } from "../../../dispatcher/loop/ledger.ts";
import { WorkerPool } from "../../../dispatcher/loop/worker-pool.ts";
import { createDispatcherMetrics } from "../../../dispatcher/metrics.ts";
import { ManualClock } from "../../standin/clock.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";
import { FakeKube, silentLogger } from "./helpers.ts";

function job(uuid: string, over: Partial<JobFacts> = {}): JobFacts {
  return {
    name: `buildkite-${uuid}`, uid: "u", resourceVersion: "1", uuid, createdAt: 0, startedAt: undefined, suspended: false,
    agentified: true, finished: undefined, active: 1, succeeded: 0, failed: 0, hadPods: true, ...over,
  };
}

function pod(uuid: string, phase: string): PodFacts {
  return { name: `buildkite-${uuid}-x`, uid: "p", resourceVersion: "1", uuid, createdAt: 0, startedAt: undefined, phase, deleting: false, conditions: [], containers: [] };
}

describe("dispatcher Buildkite sync (cancellations and reservation renewals)", () => {
  let standin: StandinHandle;
  let client: StacksClient;
  let clock: ManualClock;
  const STACK = "sync-stack";

  beforeEach(async () => {
    clock = new ManualClock(Date.parse("2026-01-01T00:00:00Z"));
    standin = await startStandin({ rateLimits: false, clock });
    client = new StacksClient({ token: standin.token, endpoint: standin.url });
    await client.registerStack({ key: STACK, type: "custom", queue_key: "k8s", metadata: {} });
  });
  afterEach(() => standin.stop());

  function setup(jobs: JobFacts[] = [], pods: PodFacts[] = []) {
    const ledger = new DispatchLedger(0);
    const kube = new FakeKube();
    const pool = new WorkerPool<QueuedJob>({ concurrency: 1, handle: async () => undefined, onError: () => undefined });
    const cancelled = new Set<string>();
    let now = clock.now();
    const sync = new BuildkiteSync({
      client, stackKey: STACK, states: new StateLookup({ client, stackKey: STACK, logger: silentLogger() }), ledger, cancelled,
      unqueue: (uuid) => pool.remove(uuid) !== undefined,
      jobs: () => jobs, pods: () => pods, kube: kube as unknown as KubeClients, reservationExpirySeconds: 30,
      metrics: createDispatcherMetrics({ maxInFlight: 0 }), logger: silentLogger(), now: () => now,
    });
    return { ledger, kube, pool, cancelled, sync, advance: (ms: number) => (now += ms) };
  }

  async function reserve(): Promise<string> {
    const id = standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    await client.batchReserveJobs(STACK, { job_uuids: [id], reservation_expiry_seconds: 30 });
    return id;
  }

  it("drops a queued job that was cancelled, and flags one being created", async () => {
    const { ledger, pool, cancelled, sync } = setup();
    const queued = await reserve();
    const creating = await reserve();
    ledger.setStage(queued, "queued");
    pool.push({ id: queued, priority: 0, agentQueryRules: [], reservedAt: 0 });
    ledger.setStage(creating, "dispatching");
    standin.cancel(queued);
    standin.cancel(creating);
    await sync.tick();
    expect(pool.queue.size).to.equal(0);
    expect(ledger.stage(queued)).to.equal(undefined);
    expect(cancelled.has(creating)).to.equal(true);
  });

  it("deletes the Job of a cancelled job whose pod has not started, but not one whose pod runs", async () => {
    const pending = await reserve();
    const running = await reserve();
    const { kube, sync } = setup([job(pending), job(running)], [pod(pending, "Pending"), pod(running, "Running")]);
    standin.cancel(pending);
    standin.acquire(running);
    standin.cancel(running);
    await sync.tick();
    await sync.tick();
    expect(kube.deletedJobs).to.deep.equal([`buildkite-${pending}`]);
  });

  it("deletes a podless (e.g. suspended) Job of a cancelled job", async () => {
    const id = await reserve();
    const { kube, sync } = setup([job(id, { hadPods: false, active: 0, suspended: true })]);
    standin.cancel(id);
    await sync.tick();
    expect(kube.deletedJobs).to.deep.equal([`buildkite-${id}`]);
  });

  it("renews reservations of jobs still waiting before they expire, and re-reserves lapsed ones", async () => {
    const waiting = await reserve();
    const lapsed = await reserve();
    const { ledger, sync, advance } = setup([job(waiting)], [pod(waiting, "Pending")]);
    ledger.setStage(lapsed, "queued");
    sync.reserved([waiting, lapsed]);
    clock.advance(5_000);
    await sync.tick();
    expect(standin.calls("batchReserve")).to.have.length(2); // the two initial reservations only
    clock.advance(26_000); // both reservations have lapsed on Buildkite
    advance(31_000);
    expect(standin.job(lapsed)?.state).to.equal("scheduled");
    await sync.tick();
    expect(standin.job(waiting)?.state).to.equal("reserved");
    expect(standin.job(lapsed)?.state).to.equal("reserved");
    const renewal = standin.calls("batchReserve").at(-1)?.body as { job_uuids: string[] };
    expect(renewal.job_uuids.sort()).to.deep.equal([waiting, lapsed].sort());
  });

  it("stops renewing once an agent has the job", async () => {
    const id = await reserve();
    const { sync, advance } = setup([job(id)], [pod(id, "Pending")]);
    standin.acquire(id);
    advance(60_000);
    await sync.tick();
    expect(standin.calls("batchReserve")).to.have.length(1);
  });
});
