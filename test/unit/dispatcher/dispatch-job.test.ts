import { expect } from "chai";
import { StacksClient } from "../../../dispatcher/api/index.ts";
import { Finisher } from "../../../dispatcher/buildkite/finisher.ts";
import { Notifier } from "../../../dispatcher/buildkite/notifier.ts";
import { JobDispatcher } from "../../../dispatcher/dispatch-job.ts";
import type { QueuedJob } from "../../../dispatcher/dispatch-job.ts";
import type { KubeClients } from "../../../dispatcher/kube/clients.ts";
import { DispatchLedger } from "../../../dispatcher/loop/ledger.ts";
import { PauseGate } from "../../../dispatcher/loop/pause-gate.ts";
import { createDispatcherMetrics } from "../../../dispatcher/metrics.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";
import type { StepSpec } from "../../standin/types.ts";
import { apiError, eventually, FakeKube, silentLogger } from "./helpers.ts";

const STACK = "unit-stack";

describe("dispatcher: one job → one bare Job", () => {
  let standin: StandinHandle;
  let client: StacksClient;

  before(async () => {
    standin = await startStandin({ rateLimits: false });
    client = new StacksClient({ token: standin.token, endpoint: standin.url, retry: { baseDelayMs: 5, maxDelayMs: 20, jitterMs: 1 } });
    await client.registerStack({ key: STACK, type: "custom", queue_key: "k8s", metadata: {} });
  });
  after(() => standin.stop());

  function setup(opts: { creationTimeoutMs?: number; prohibit?: boolean } = {}) {
    const kube = new FakeKube();
    const ledger = new DispatchLedger(10);
    const logger = silentLogger();
    const finisher = new Finisher({ client, stackKey: STACK, logger, retryDelayMs: () => 10 });
    const notifier = new Notifier({ client, stackKey: STACK, logger });
    const cancelled = new Set<string>();
    const dispatcher = new JobDispatcher({
      client, stackKey: STACK, kube: kube as unknown as KubeClients, ledger, finisher, notifier, pause: new PauseGate(), cancelled,
      bareJob: { namespace: "ci", jobPrefix: "buildkite-", controllerId: "", image: "agent:latest" },
      prohibitKubernetesPlugin: opts.prohibit ?? false, creationTimeoutMs: opts.creationTimeoutMs ?? 60_000,
      metrics: createDispatcherMetrics({ maxInFlight: 10 }), logger,
    });
    return { kube, ledger, finisher, notifier, cancelled, dispatcher };
  }

  async function reserved(step: StepSpec): Promise<QueuedJob> {
    const id = standin.enqueue({ agents: { queue: "k8s" }, ...step });
    await client.batchReserveJobs(STACK, { job_uuids: [id], reservation_expiry_seconds: 60 });
    return { id, priority: step.priority ?? 0, agentQueryRules: ["queue=k8s"], reservedAt: Date.now() };
  }

  async function finishedDetail(id: string): Promise<string> {
    await eventually(() => standin.job(id)?.finish?.by === "stack", 3000, "finish");
    const finish = standin.job(id)?.finish;
    expect(finish?.exitStatus).to.equal(-1);
    return finish?.detail ?? "";
  }

  it("creates the Job, tracks it as created and says so on Buildkite", async () => {
    const { kube, ledger, notifier, dispatcher } = setup();
    const job = await reserved({ command: "make test", key: "unit" });
    await dispatcher.dispatch(job, new AbortController().signal);
    const stored = kube.jobs.get(`buildkite-${job.id}`);
    expect(stored?.spec?.template.spec?.containers[0]?.env).to.deep.equal([{ name: "BUILDKITE_COMMAND", value: "make test" }]);
    expect(stored?.metadata?.annotations?.["buildkite.com/step-key"]).to.equal("unit");
    expect(ledger.stage(job.id)).to.equal("created");
    await notifier.flush();
    expect(standin.job(job.id)?.notifications.map((n) => n.detail)).to.deep.equal(["Kubernetes Job created, waiting for the agent to start…"]);
  });

  it("finishes a job whose kubernetes plugin is invalid, with the parse error", async () => {
    const { kube, ledger, dispatcher } = setup();
    const job = await reserved({ command: "x", plugins: [{ kubernetes: { podSpec: { containers: "nope" }, bogus: 1 } }] });
    await dispatcher.dispatch(job, new AbortController().signal);
    const detail = await finishedDetail(job.id);
    expect(detail).to.match(/^agentify failed to parse the job: failed parsing Kubernetes plugin: /);
    expect(detail).to.contain("bogus: unknown key");
    expect(kube.createCalls).to.equal(0);
    await eventually(() => ledger.stage(job.id) === undefined, 1000, "release");
  });

  it("finishes a job using the plugin when prohibit-kubernetes-plugin is set", async () => {
    const { dispatcher } = setup({ prohibit: true });
    const job = await reserved({ command: "x", plugins: [{ kubernetes: { podSpec: {} } }] });
    await dispatcher.dispatch(job, new AbortController().signal);
    expect(await finishedDetail(job.id)).to.match(/prohibited/);
  });

  it("uses a PodTemplate, and finishes the job when it does not exist", async () => {
    const { kube, dispatcher } = setup();
    kube.podTemplates.set("builders", { containers: [{ name: "b", image: "ruby:3" }] });
    const ok = await reserved({ command: "rake", plugins: [{ kubernetes: { podTemplate: "builders" } }] });
    await dispatcher.dispatch(ok, new AbortController().signal);
    expect(kube.jobs.get(`buildkite-${ok.id}`)?.spec?.template.spec?.containers[0]?.image).to.equal("ruby:3");
    const missing = await reserved({ command: "rake", plugins: [{ kubernetes: { podTemplate: "nope" } }] });
    await dispatcher.dispatch(missing, new AbortController().signal);
    expect(await finishedDetail(missing.id)).to.equal('Error fetching podTemplate "nope": podtemplates "nope" not found');
  });

  it("treats AlreadyExists as already dispatched", async () => {
    const { kube, ledger, dispatcher } = setup();
    const job = await reserved({ command: "x" });
    kube.createFailures.push(apiError(409, "AlreadyExists", "exists"));
    await dispatcher.dispatch(job, new AbortController().signal);
    expect(ledger.stage(job.id)).to.equal("created");
    expect(standin.job(job.id)?.finish).to.equal(null);
  });

  it("finishes the job with the webhook's denial or the apiserver's Invalid message", async () => {
    const { kube, dispatcher } = setup();
    const denied = await reserved({ command: "x" });
    kube.createFailures.push(apiError(400, "BadRequest", 'admission webhook "jobs.agentify" denied the request: container name "agent" is reserved'));
    await dispatcher.dispatch(denied, new AbortController().signal);
    expect(await finishedDetail(denied.id)).to.equal('Kubernetes rejected the Job built for this step: admission webhook "jobs.agentify" denied the request: container name "agent" is reserved');
    const invalid = await reserved({ command: "x" });
    kube.createFailures.push(apiError(422, "Invalid", 'Job.batch "x" is invalid: spec.template.spec.containers[0].image: Required value'));
    await dispatcher.dispatch(invalid, new AbortController().signal);
    expect(await finishedDetail(invalid.id)).to.contain("containers[0].image: Required value");
  });

  it("retries transient failures (webhook down, 5xx, 429) and then creates the Job", async () => {
    const { kube, ledger, dispatcher } = setup();
    const job = await reserved({ command: "x" });
    kube.createFailures.push(
      apiError(500, "InternalError", 'Internal error occurred: failed calling webhook "w": connection refused'),
      apiError(429, "TooManyRequests", "slow down", { "retry-after": "0" }),
      Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("reset"), { code: "ECONNRESET" }) }),
    );
    await dispatcher.dispatch(job, new AbortController().signal);
    expect(kube.createCalls).to.equal(4);
    expect(ledger.stage(job.id)).to.equal("created");
  });

  it("finishes the job with the last error when creation keeps failing past job-creation-timeout", async () => {
    const { kube, dispatcher } = setup({ creationTimeoutMs: 400 });
    const job = await reserved({ command: "x" });
    for (let i = 0; i < 50; i++) kube.createFailures.push(apiError(500, "InternalError", 'Internal error occurred: failed calling webhook "w": connection refused'));
    await dispatcher.dispatch(job, new AbortController().signal);
    const detail = await finishedDetail(job.id);
    expect(detail).to.match(/^agentify could not create the Kubernetes Job for this step within 0s; last error: Internal error occurred: failed calling webhook/);
  });

  it("deletes a Job stored without the webhook's mutation and says why", async () => {
    const { kube, dispatcher } = setup();
    kube.agentify = false;
    const job = await reserved({ command: "x" });
    await dispatcher.dispatch(job, new AbortController().signal);
    expect(kube.deletedJobs).to.deep.equal([`buildkite-${job.id}`]);
    expect(await finishedDetail(job.id)).to.match(/was stored without being agentified/);
  });

  it("releases a job cancelled while it waits to be created, without finishing it", async () => {
    const { kube, ledger, cancelled, dispatcher } = setup();
    const job = await reserved({ command: "x" });
    for (let i = 0; i < 50; i++) kube.createFailures.push(apiError(503, "ServiceUnavailable", "busy"));
    setTimeout(() => cancelled.add(job.id), 100);
    await dispatcher.dispatch(job, new AbortController().signal);
    expect(ledger.stage(job.id)).to.equal(undefined);
    expect(standin.job(job.id)?.finish).to.equal(null);
  });

  it("releases a job Buildkite no longer knows", async () => {
    const { kube, ledger, dispatcher } = setup();
    const job: QueuedJob = { id: "0190a1b2-c3d4-4e5f-8a6b-000000000000", priority: 0, agentQueryRules: [], reservedAt: Date.now() };
    await dispatcher.dispatch(job, new AbortController().signal);
    expect(kube.createCalls).to.equal(0);
    expect(ledger.stage(job.id)).to.equal(undefined);
  });
});
