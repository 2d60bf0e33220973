// The webhook is down (failurePolicy: Fail, so every create fails): no job is lost. Creates are
// retried with backoff and succeed once the webhook is back; if it stays down past
// job-creation-timeout, the jobs are finished with the reason.
import { expect } from "chai";
import { DispatcherEnv, QUEUE, waitFor } from "./env.ts";

describe("dispatcher e2e: webhook down", function () {
  this.timeout(120_000);
  let e: DispatcherEnv;

  beforeEach(async () => {
    e = await DispatcherEnv.create();
  });
  afterEach(() => e?.cleanup());

  async function webhookUnavailableErrors(metrics: { registry: { getSingleMetric(name: string): unknown } }): Promise<number> {
    const metric = metrics.registry.getSingleMetric("agentify_dispatcher_job_create_errors_total") as { get(): Promise<{ values: { labels: Record<string, string>; value: number }[] }> };
    const { values } = await metric.get();
    return values.filter((v) => v.labels["reason"] === "webhook-unavailable").reduce((n, v) => n + v.value, 0);
  }

  it("retries while the webhook is down and dispatches every job once it is back", async () => {
    const dispatcher = await e.startDispatcher();
    await e.stopWebhook();
    const ids = e.standin.enqueueBuild(Array.from({ length: 20 }, (_, i) => ({ command: `echo ${i}`, agents: { queue: QUEUE } })));
    await waitFor("creates to fail on the webhook", async () => (await webhookUnavailableErrors(dispatcher.metrics)) >= 20, 20_000);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await e.listJobs()).to.deep.equal([]);
    expect(ids.every((id) => e.standin.job(id)?.state === "reserved")).to.equal(true);
    await e.startWebhook();
    await waitFor("20 agentified Jobs", async () => (await e.listJobs()).length === 20, 30_000);
    const jobs = await e.listJobs();
    expect(jobs.every((j) => typeof j.metadata?.annotations?.["buildkite.com/agentified"] === "string")).to.equal(true);
    expect(new Set(jobs.map((j) => j.metadata?.labels?.["buildkite.com/job-uuid"]))).to.deep.equal(new Set(ids));
    expect(ids.filter((id) => e.standin.job(id)?.finish)).to.deep.equal([]);
  });

  it("finishes the jobs with the reason when the webhook stays down past job-creation-timeout", async () => {
    await e.stopWebhook();
    await e.startDispatcher({ config: { ...e.config, "job-creation-timeout": 4 } });
    const ids = e.standin.enqueueBuild(Array.from({ length: 5 }, () => ({ command: "x", agents: { queue: QUEUE } })));
    await waitFor("5 finishes", () => ids.every((id) => e.standin.job(id)?.finish?.by === "stack"), 30_000);
    for (const id of ids) {
      expect(e.standin.job(id)?.finish?.detail).to.match(/^agentify could not create the Kubernetes Job for this step within \ds; last error: Internal error occurred: failed calling webhook "jobs\.agentify\.buildkite\.com"/);
    }
    expect(await e.listJobs()).to.deep.equal([]);
  });
});
