import { expect } from "chai";
import { StacksClient } from "../../../dispatcher/api/index.ts";
import { Finisher } from "../../../dispatcher/buildkite/finisher.ts";
import type { FinishOutcome } from "../../../dispatcher/buildkite/finisher.ts";
import { Notifier } from "../../../dispatcher/buildkite/notifier.ts";
import { StateLookup } from "../../../dispatcher/buildkite/state-lookup.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";
import { silentLogger } from "./helpers.ts";

describe("dispatcher finisher, notifier and state lookup", () => {
  let standin: StandinHandle;
  let client: StacksClient;
  const STACK = "fin-stack";

  beforeEach(async () => {
    standin = await startStandin({ rateLimits: false });
    client = new StacksClient({ token: standin.token, endpoint: standin.url, retry: { baseDelayMs: 5, maxDelayMs: 10, jitterMs: 1 } });
    await client.registerStack({ key: STACK, type: "custom", queue_key: "k8s", metadata: {} });
  });
  afterEach(() => standin.stop());

  it("keeps finishing through outages (beyond the client's own retries) and never finishes twice", async () => {
    const outcomes: FinishOutcome[] = [];
    const finisher = new Finisher({ client, stackKey: STACK, logger: silentLogger(), retryDelayMs: () => 10, onOutcome: (o) => outcomes.push(o) });
    const id = standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    standin.failNext({ endpoint: "finishJob", status: 503, times: 12 });
    const first = finisher.finish(id, "why", "test");
    expect(finisher.isFinishing(id)).to.equal(true);
    expect(finisher.finish(id, "again", "test")).to.equal(first);
    expect(await first).to.equal("finished");
    expect(standin.job(id)?.finish?.detail).to.equal("why");
    expect(standin.calls("finishJob").filter((c) => c.status === 200)).to.have.length(1);
    expect(outcomes).to.deep.equal(["finished"]);
  });

  it("treats 'already finished' as done when an earlier answer was lost", async () => {
    const finisher = new Finisher({ client, stackKey: STACK, logger: silentLogger(), retryDelayMs: () => 10 });
    const id = standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    standin.failNext({ endpoint: "finishJob", drop: "after" });
    const outcome = await finisher.finish(id, "why", "test");
    expect(["finished", "already-ended"]).to.include(outcome);
    expect(standin.job(id)?.finish?.detail).to.equal("why");
  });

  it("batches notifications and crops long ones", async () => {
    const sent: number[] = [];
    const notifier = new Notifier({ client, stackKey: STACK, logger: silentLogger(), onSent: (ok) => sent.push(ok) });
    const ids = Array.from({ length: 3 }, () => standin.enqueue({ command: "x", agents: { queue: "k8s" } }));
    for (const id of ids) notifier.notify(id, `created ${"x".repeat(300)}`);
    await notifier.flush();
    expect(standin.calls("notifications")).to.have.length(1);
    expect(sent).to.deep.equal([3]);
    expect([...(standin.job(ids[0] ?? "")?.notifications[0]?.detail ?? "")]).to.have.length(256);
  });

  it("coalesces state lookups into one get-states call", async () => {
    const lookup = new StateLookup({ client, stackKey: STACK, logger: silentLogger() });
    const a = standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    const b = standin.enqueue({ command: "x", agents: { queue: "k8s" } });
    standin.cancel(b);
    const states = await Promise.all([lookup.state(a), lookup.state(b), lookup.state("0190a1b2-c3d4-4e5f-8a6b-000000000000")]);
    expect(states).to.deep.equal(["scheduled", "canceled", undefined]);
    expect(standin.calls("getJobStates")).to.have.length(1);
  });
});
