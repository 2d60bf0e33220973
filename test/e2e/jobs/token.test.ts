// The agent token's value never appears where it should not. A few jobs run (one prints its whole
// environment, one fails, one's image is missing so that the dispatcher finishes it with the pod's
// events), then every place a token could leak is searched for the value and its base64 form: each
// line the webhook and the dispatcher logged (at trace level) and everything this process printed
// (the stand-in logs nothing of its own), what the stand-in keeps and answers, every object in the
// namespace but the token Secret, every container's log, and the job logs the agent uploaded.
import { expect } from "chai";
import { LogCapture } from "./log-capture.ts";
import { commandStep, JobsEnv, TOKEN_SECRET } from "./env.ts";
import { podsDone } from "./expect-job.ts";

/** Where each piece of text came from, for the failure message. */
type Corpus = { where: string; text: string }[];

function leaks(corpus: Corpus, secrets: string[]): string[] {
  return corpus.filter((c) => secrets.some((s) => c.text.includes(s))).map((c) => c.where);
}

/** Everything this process writes to stdout and stderr while `stop` is not called. */
function captureOutput(): { text(): string; stop(): void } {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write.bind(s));
  streams.forEach((s, i) => {
    const original = originals[i] as typeof s.write;
    s.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return original(chunk, ...rest);
    }) as typeof s.write;
  });
  return { text: () => chunks.join(""), stop: () => streams.forEach((s, i) => { s.write = originals[i] as typeof s.write; }) };
}

describe("the agent token never appears where it should not (real node, real agent)", function () {
  this.timeout(300_000);
  let e: JobsEnv;
  const dispatcherLogs = new LogCapture();
  let output: ReturnType<typeof captureOutput> | undefined;
  let secrets: string[] = [];
  let ids: string[] = [];

  before(async function () {
    this.timeout(10 * 60_000);
    output = captureOutput();
    e = await JobsEnv.create({ captureLogs: true });
    await e.env.startDispatcher({ logger: dispatcherLogs.logger });
    const token = e.env.standin.token;
    secrets = [token, Buffer.from(token).toString("base64")];
    ids = [
      e.schedule(commandStep("env | sort; echo printed the environment", e.busybox)),
      e.schedule(commandStep("echo failing on purpose; exit 2", e.agentImage)),
      e.schedule(commandStep("echo never runs", "localhost/agentify/missing:1")),
    ];
    await Promise.all(ids.map((id) => e.finished(id, 150_000)));
    await Promise.all(ids.map((id) => podsDone(e, id)));
  });
  after(async () => {
    output?.stop();
    await e?.cleanup();
  });

  it("the jobs ended as they should (so there is something to search)", function () {
    const [printed, failed, missing] = ids.map((id) => e.env.standin.jobRecord(id));
    expect([printed?.exit_status, failed?.exit_status, missing?.exit_status]).to.deep.equal(["0", "2", "-1"]);
    expect(missing?.finished_by).to.equal("stack");
    expect(e.log(ids[0] ?? "")).to.match(/^BUILDKITE_JOB_ID=/m);
  });

  it("not in any line the webhook or the dispatcher logged, nor in this process's output", function () {
    const webhook = e.logs?.lines() ?? [];
    const dispatcher = dispatcherLogs.lines();
    for (const id of ids) expect(webhook.some((l) => l.includes('"admission review"') && l.includes(id)), `the audit line of ${id}`).to.equal(true);
    expect(dispatcher.length, "the dispatcher logged at trace level").to.be.greaterThan(10);
    const corpus: Corpus = [
      ...webhook.map((text, i) => ({ where: `webhook log line ${i}`, text })),
      ...dispatcher.map((text, i) => ({ where: `dispatcher log line ${i}`, text })),
      { where: "this process's stdout and stderr", text: output?.text() ?? "" },
    ];
    expect(leaks(corpus, secrets)).to.deep.equal([]);
  });

  it("not in what the stand-in keeps or answers: jobs, finish details, notifications, agents, responses", async function () {
    const controls = await Promise.all(["jobs", "agents", "stacks", "calls"].map(async (what) => {
      const res = await fetch(`${e.env.standin.origin}/_standin/${what}`);
      return { where: `GET /_standin/${what}`, text: await res.text() };
    }));
    const corpus: Corpus = [
      ...controls.filter((c) => c.where !== "GET /_standin/calls"),
      ...e.env.standin.calls().map((c) => ({ where: `response to ${c.method} ${c.path}`, text: JSON.stringify(c.responseBody) })),
      ...ids.map((id) => ({ where: `record of ${id}`, text: JSON.stringify([e.env.standin.jobRecord(id), e.env.standin.job(id)]) })),
    ];
    expect(leaks(corpus, secrets)).to.deep.equal([]);
    // A check of the check: the requests themselves carry the token, which is how clients authenticate.
    expect(leaks([controls.find((c) => c.where === "GET /_standin/calls") ?? { where: "", text: "" }], secrets)).to.have.length(1);
  });

  it("not in the namespace's objects (Jobs, Pods, Events, ConfigMaps, …) but the token Secret", async function () {
    const kubectl = (args: string[]) => e.env.cluster.kubectl(args, { check: true });
    const kinds = (await kubectl(["api-resources", "--namespaced", "--verbs=list", "-o", "name"])).stdout.split("\n").filter(Boolean);
    expect(kinds).to.include.members(["jobs.batch", "pods", "events", "configmaps", "secrets"]);
    const dump = await kubectl(["get", kinds.filter((k) => k !== "secrets").join(","), "-n", e.env.namespace, "-o", "json"]);
    expect(dump.stdout).to.include(`buildkite-${ids[0] ?? ""}`);
    expect(leaks([{ where: "kubectl get (everything but secrets)", text: dump.stdout }], secrets)).to.deep.equal([]);
    const others = await kubectl(["get", "secrets", "-n", e.env.namespace, "-o", "json", "--field-selector", `metadata.name!=${TOKEN_SECRET}`]);
    expect(leaks([{ where: "the other Secrets", text: others.stdout }], secrets)).to.deep.equal([]);
    const secret = await kubectl(["get", "secret", TOKEN_SECRET, "-n", e.env.namespace, "-o", "json"]);
    expect(leaks([{ where: "the token Secret", text: secret.stdout }], secrets), "a check of the check").to.have.length(1);
  });

  it("not in any container's log, nor in the job logs the agent uploaded", async function () {
    const corpus: Corpus = ids.flatMap((id) => [
      { where: `uploaded log of ${id}`, text: e.env.standin.jobLog(id) },
      { where: `plain log of ${id}`, text: e.log(id) },
    ]);
    const pods = (await Promise.all(ids.map((id) => e.pods(id)))).flat();
    expect(pods.length, "pods left to read").to.be.greaterThan(1);
    for (const pod of pods) {
      const name = pod.metadata?.name ?? "";
      for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
        const res = await e.env.cluster.kubectl(["logs", "-n", e.env.namespace, name, "-c", c.name]);
        corpus.push({ where: `kubectl logs ${name} -c ${c.name}`, text: res.stdout + res.stderr });
      }
    }
    expect(corpus.some((c) => c.where.endsWith("-c agent") && c.text.includes("Successfully registered agent")), "the agent's own log was read").to.equal(true);
    expect(leaks(corpus, secrets)).to.deep.equal([]);
  });
});
