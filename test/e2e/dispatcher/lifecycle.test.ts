// Starting and stopping: the token from a Secret, unclustered tokens refused, health endpoints,
// existing Jobs counted before the first poll after a restart, and SIGTERM deregistering the
// stack within 5 s.
import { expect } from "chai";
import { startDispatcher } from "../../../dispatcher/start.ts";
import { startStandin } from "../../standin/server.ts";
import { spawnDispatcher, writeConfigFile } from "./child.ts";
import { DispatcherEnv, QUEUE, waitFor } from "./env.ts";

describe("dispatcher e2e: lifecycle", function () {
  this.timeout(120_000);
  let e: DispatcherEnv;

  beforeEach(async () => {
    e = await DispatcherEnv.create({ config: { "max-in-flight": 3 } });
  });
  afterEach(() => e?.cleanup());

  it("reads the token from the Secret, serves /healthz, /readyz and /metrics, and deregisters on stop", async () => {
    await e.kube.core.createNamespacedSecret({
      namespace: e.namespace,
      body: { metadata: { name: "buildkite-agent-token" }, stringData: { BUILDKITE_AGENT_TOKEN: e.standin.token } },
    });
    const dispatcher = await e.startDispatcher({ env: {}, http: { port: 0, host: "127.0.0.1" } });
    const get = async (path: string) => {
      const res = await fetch(`${dispatcher.httpUrl}${path}`);
      return { status: res.status, text: await res.text() };
    };
    expect(await get("/healthz")).to.deep.equal({ status: 200, text: "ok\n" });
    await waitFor("ready", async () => (await get("/readyz")).status === 200, 10_000);
    const metrics = await get("/metrics");
    expect(metrics.text).to.contain("agentify_dispatcher_polls_total");
    expect(metrics.text).to.contain("agentify_dispatcher_max_in_flight 3");
    expect(e.standin.stacks().map((s) => [s.key, s.type, s.queueKey, s.deregistered])).to.deep.equal([["agentify", "custom", QUEUE, false]]);
    await dispatcher.stop();
    expect(e.standin.stacks()[0]?.deregistered).to.equal(true);
  });

  it("refuses an unclustered agent token with a clear message", async () => {
    const unclustered = await startStandin({ clusterUuid: "", rateLimits: false });
    try {
      let error: unknown;
      await startDispatcher(e.dispatcherOptions({ endpoint: unclustered.url, env: { BUILDKITE_AGENT_TOKEN: unclustered.token } })).catch((err: unknown) => (error = err));
      expect(String(error)).to.match(/unclustered agent token: agentify needs a cluster agent token/);
      expect(unclustered.calls("register")).to.deep.equal([]);
    } finally {
      await unclustered.stop();
    }
  });

  it("counts existing Jobs before its first poll after a restart, so max-in-flight holds", async () => {
    const ids = e.standin.enqueueBuild(Array.from({ length: 6 }, (_, i) => ({ command: `echo ${i}`, agents: { queue: QUEUE } })));
    const first = await e.startDispatcher();
    await waitFor("3 Jobs", async () => (await e.listJobs()).length === 3, 20_000);
    await first.stop();
    const second = await e.startDispatcher();
    expect(second.ledger.inFlight()).to.equal(3);
    await new Promise((r) => setTimeout(r, 2500));
    const jobs = await e.listJobs();
    expect(jobs).to.have.length(3);
    // The reservations of the three are kept alive; the other three stay scheduled.
    expect(ids.filter((id) => e.standin.job(id)?.state === "scheduled")).to.have.length(3);
    for (const job of jobs.slice(0, 2)) await e.kube.deleteJob(job.metadata?.name ?? "");
    await waitFor("2 more Jobs", async () => (await e.listJobs()).length === 3 && ids.filter((id) => e.standin.job(id)?.state === "scheduled").length === 1, 20_000);
  });

  it("deregisters the stack and exits within 5 s of SIGTERM", async () => {
    const child = spawnDispatcher(e, writeConfigFile(e), "sigterm");
    await waitFor("the child to poll", () => e.standin.calls("listScheduledJobs").length > 0, 30_000);
    const sent = Date.now();
    child.child.kill("SIGTERM");
    const exit = await child.exited;
    expect(Date.now() - sent).to.be.below(5000);
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(e.standin.stacks()[0]?.deregistered).to.equal(true);
  });
});
