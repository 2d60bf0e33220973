// The real buildkite-agent v3.136.2 as the client that proves the stand-in's Agent
// API: it runs jobs outside Kubernetes against a stand-in on loopback, checking out
// from the local git server, and we assert the Buildkite record it leaves: state,
// exit status, exactly one finish, signal_reason, the log, the calls it made.
// The binary: AGENTIFY_BUILDKITE_AGENT, or the one built for the node's agent image.
import assert from "node:assert/strict";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle, StandinOptions } from "../../standin/server.ts";
import { startGitServer } from "../../support/git-server.ts";
import type { GitRepo, GitServer } from "../../support/git-server.ts";
import { prepareAgentBinary, runAgent } from "./real-agent.ts";

describe("the real buildkite-agent against the stand-in's Agent API", function () {
  this.timeout(90_000);
  let git: GitServer;
  let repo: GitRepo;
  let mainSha: string;
  let featureSha: string;
  let standin: StandinHandle;

  before(async function () {
    this.timeout(45 * 60_000); // the first run on a machine builds the agent from its Go module
    await prepareAgentBinary(); // a clear error up front when the binary cannot be had
    git = await startGitServer({ host: "127.0.0.1" });
    repo = await git.createRepo("app");
    const first = await repo.commit("first", { "hello.sh": "echo \"hello from the repo\"\n" });
    featureSha = await repo.commit("on a branch", { "branch.txt": "feature branch file\n" }, { branch: "feature/checkout" });
    mainSha = await repo.commit("second on main", { "hello.sh": "echo \"hello from main\"\n" }, { branch: "main" });
    assert.notEqual(first, mainSha);
  });
  after(() => git?.stop());

  const start = async (opts: StandinOptions = {}) => {
    standin = await startStandin({ rateLimits: false, ...opts });
  };
  afterEach(() => standin?.stop());

  const schedule = (command: string, build: { branch?: string; commit?: string } = {}) =>
    standin.enqueue({ command, label: "real agent", agents: { queue: "kubernetes" } }, { repo: git.url("app"), branch: "main", commit: mainSha, pipeline: "real-agent", ...build });

  const finished = (id: string) => standin.waitForJob(id, (r) => ["finished", "canceled", "timed_out"].includes(r.state), 60_000);

  it("runs a passing command after checking out the build's commit over git://, and finishes once with \"0\"", async () => {
    await start();
    const id = schedule("bash hello.sh; echo \"Hello from agentify\"");
    const agent = await runAgent({ standin, jobId: id });
    assert.equal(await agent.exit, 0, agent.output());
    const record = standin.jobRecord(id);
    assert.equal(record.state, "finished");
    assert.equal(record.exit_status, "0");
    assert.equal(record.finish_count, 1);
    assert.equal(record.finish_attempts.length, 1);
    assert.equal(record.chunks_failed_count, 0);
    assert.deepEqual(record.log.problems, []);
    assert.deepEqual(record.history.map((h) => h.state), ["scheduled", "assigned", "accepted", "running", "finished"]);
    const log = standin.jobLogPlain(id);
    assert.match(log, /^hello from main$/m);
    assert.match(log, /^Hello from agentify$/m);
    assert.match(log, new RegExp(`git fetch .* origin ${mainSha}`));
    assert.match(standin.metaData(id)["buildkite:git:commit"] ?? "", new RegExp(`^commit ${mainSha}\n`), "checkout reports the commit as meta-data");
    assert.equal(standin.jobLog(id).includes(standin.token), false, "the cluster token is not in the job log");
    assert.equal(agent.output().includes(standin.token), false, "nor in the agent's own output");
    const endpoints = standin.calls().map((c) => c.endpoint);
    for (const expected of ["agentRegister", "agentConnect", "agentAcquireJob", "agentStartJob", "agentUploadChunk", "agentFinishJob", "agentStreamPings", "agentPing", "agentDisconnect"] as const) {
      assert.ok(endpoints.includes(expected), `the agent called ${expected}: ${endpoints.join(", ")}`);
    }
    assert.deepEqual(standin.calls().filter((c) => c.status === null || c.status >= 400).map((c) => `${c.endpoint} ${c.status}`), ["agentStreamPings 404"]);
    assert.equal(standin.agents()[0]?.state, "disconnected");
    // The job's calls use the per-job token from acquire; the agent's own use its access token.
    const auth = (endpoint: "agentStartJob" | "agentFinishJob" | "agentPing") => standin.calls(endpoint)[0]?.headers.authorization ?? "";
    assert.match(auth("agentStartJob"), /^Token bkaj_/);
    assert.match(auth("agentFinishJob"), /^Token bkaj_/);
    assert.match(auth("agentPing"), /^Token bkua_/);
  });

  it("checks out a given branch and commit", async () => {
    await start();
    const id = schedule("cat branch.txt; git rev-parse HEAD", { branch: "feature/checkout", commit: featureSha });
    const agent = await runAgent({ standin, jobId: id });
    assert.equal(await agent.exit, 0, agent.output());
    const log = standin.jobLogPlain(id);
    assert.match(log, /^feature branch file$/m);
    assert.match(log, new RegExp(`^${featureSha}$`, "m"));
  });

  it("records a failing command's exit status as \"3\", with checkout skipped", async () => {
    await start();
    const id = schedule("echo about to fail; test -e hello.sh || echo no checkout here; exit 3");
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout", "--reflect-exit-status"] });
    assert.equal(await agent.exit, 3, agent.output());
    const record = standin.jobRecord(id);
    assert.equal(record.state, "finished");
    assert.equal(record.exit_status, "3");
    assert.equal(record.finish_count, 1);
    const log = standin.jobLogPlain(id);
    assert.match(log, /^no checkout here$/m);
    assert.doesNotMatch(log, /git clone/);
  });

  it("runs a command full of $, quotes, backslashes and newlines exactly as written", async () => {
    await start();
    const command = [
      "printf '%s\\n' '$VAR' '$(cmd)' '$(ENV_NAME)' '$$' \"double \\\"quoted\\\"\" 'back\\slash'",
      "echo \"job=$BUILDKITE_JOB_ID sub=$(echo inner) pid-is-number=$(test $$ -gt 0 && echo yes)\"",
      "cat <<'EOF'",
      "literal $HOME and `backticks`",
      "EOF",
    ].join("\n");
    const id = standin.enqueue({ command, agents: { queue: "kubernetes" } });
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout"] });
    assert.equal(await agent.exit, 0, agent.output());
    assert.equal(standin.jobRecord(id).exit_status, "0");
    const log = standin.jobLogPlain(id);
    for (const line of ["$VAR", "$(cmd)", "$(ENV_NAME)", "$$", "double \"quoted\"", "back\\slash", `job=${id} sub=inner pid-is-number=yes`, "literal $HOME and `backticks`"]) {
      assert.ok(log.split("\n").includes(line), `log has the line ${JSON.stringify(line)}:\n${log}`);
    }
  });

  it("serves build meta-data to the agent's own meta-data commands inside the job", async () => {
    await start();
    const id = schedule([
      "buildkite-agent meta-data set greeting 'hello there'",
      "echo \"got=$(buildkite-agent meta-data get greeting)\"",
      "buildkite-agent meta-data exists greeting && echo exists=yes",
      "buildkite-agent meta-data keys",
      "buildkite-agent meta-data get nope || echo missing=$?",
    ].join("\n"));
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout"] });
    assert.equal(await agent.exit, 0, agent.output());
    const lines = standin.jobLogPlain(id).split("\n");
    for (const line of ["got=hello there", "exists=yes", "greeting", "missing=1"]) assert.ok(lines.includes(line), `log has ${JSON.stringify(line)}`);
    assert.deepEqual(standin.metaData(id), { greeting: "hello there" });
    assert.deepEqual(standin.calls().filter((c) => c.endpoint?.startsWith("agentMetaData")).map((c) => `${c.endpoint} ${c.status}`), [
      "agentMetaDataSet 200", "agentMetaDataGet 200", "agentMetaDataExists 200", "agentMetaDataKeys 200", "agentMetaDataGet 404",
    ]);
  });

  it("runs a plugin-only step whose plugin the git server serves, at a tag, with its config", async () => {
    await start();
    const plugin = await git.createRepo("hello-buildkite-plugin");
    await plugin.commit("plugin", { "hooks/command": "#!/bin/bash\nset -e\necho \"plugin says $BUILDKITE_PLUGIN_HELLO_NAME\"\n" });
    await plugin.tag("v1.0.0");
    const id = standin.enqueue({ plugins: [{ [`${git.url("hello-buildkite-plugin")}#v1.0.0`]: { name: "agentify" } }], agents: { queue: "kubernetes" } });
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout"] });
    assert.equal(await agent.exit, 0, agent.output());
    const log = standin.jobLogPlain(id);
    assert.match(log, new RegExp(`git clone .* ${git.url("hello-buildkite-plugin").replaceAll(".", "\\.")}`));
    assert.match(log, /^plugin says agentify$/m);
    assert.equal(standin.jobRecord(id).exit_status, "0");
  });

  it("stops a running job the user cancels: canceled, \"-1\", signal_reason cancel, one finish", async () => {
    await start({ agent: { heartbeatIntervalSeconds: 1 } });
    const id = schedule("echo started; sleep 60; echo never printed");
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout", "--cancel-grace-period", "5"] });
    await standin.waitForJob(id, (r) => r.state === "running" && r.log.bytes > 0 && /started/.test(standin.jobLogPlain(id)), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // long enough for a heartbeat
    standin.cancel(id);
    const record = await finished(id);
    assert.equal(await agent.exit, 0, agent.output());
    assert.equal(record.state, "canceled");
    assert.equal(record.exit_status, "-1");
    assert.equal(record.signal_reason, "cancel");
    assert.equal(record.finish_count, 1);
    assert.deepEqual(record.history.map((h) => h.state).slice(-2), ["canceling", "canceled"]);
    assert.doesNotMatch(standin.jobLogPlain(id), /^never printed$/m);
    assert.ok(standin.calls("agentJobState").some((c) => (c.responseBody as { state?: string }).state === "canceling"), "the agent saw canceling on its job-state poll");
    assert.ok((standin.agents()[0]?.heartbeats ?? 0) >= 1, "the agent sent heartbeats while the job ran");
  });

  it("ends a job that times out on Buildkite timed_out when the agent stops it", async () => {
    await start();
    const id = schedule("echo started; sleep 60");
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout", "--cancel-grace-period", "3"] });
    await standin.waitForJob(id, (r) => r.state === "running" && /^started$/m.test(standin.jobLogPlain(id)), 30_000);
    standin.forceState(id, "timing_out");
    const record = await finished(id);
    assert.equal(await agent.exit, 0, agent.output());
    assert.equal(record.state, "timed_out");
    assert.equal(record.exit_status, "-1");
    assert.equal(record.finish_count, 1);
  });

  it("shows a log the agent could not upload whole: it drops chunks answered 429 and says so at finish", async () => {
    // Found with this agent: a dropped last chunk leaves no gap, so only chunks_failed_count tells.
    await start({ rateLimits: { "agent-chunks": 1 }, agent: { chunksMaxSizeBytes: 4 * 1024 } });
    const id = schedule("seq 1 20000");
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout", "--no-pty"] });
    assert.equal(await agent.exit, 0, agent.output());
    const record = standin.jobRecord(id);
    assert.equal(record.exit_status, "0");
    const dropped = standin.calls("agentUploadChunk").filter((c) => c.status === 429).length;
    assert.ok(dropped > 0, "some chunk uploads were rate-limited");
    assert.equal(record.chunks_failed_count, dropped, "each 429 is a dropped chunk, not retried");
    assert.ok(record.log.problems.includes(`the agent gave up on ${dropped} chunk(s) (chunks_failed_count): the log is incomplete`), record.log.problems.join("\n"));
  });

  it("uploads a long log in many chunks, assembled whole and in order", async () => {
    await start({ agent: { chunksMaxSizeBytes: 16 * 1024 } });
    const id = schedule("seq 1 40000");
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout", "--no-pty"] });
    assert.equal(await agent.exit, 0, agent.output());
    const detail = standin.jobLogDetail(id);
    assert.deepEqual(detail.problems, []);
    assert.ok(detail.chunks.length > 10, `${detail.chunks.length} chunks`);
    const numbers = standin.jobLogPlain(id).split("\n").filter((line) => /^\d+$/.test(line));
    assert.equal(numbers.length, 40_000);
    assert.ok(numbers.every((n, i) => n === String(i + 1)), "every line once, in order");
  });

  it("rides out injected faults: a 503 on acquire, a failed chunk upload, a finish whose answer is lost", async () => {
    await start();
    const id = schedule("echo survived the faults");
    standin.failNext({ endpoint: "agentAcquireJob", status: 503, retryAfterSeconds: 1 });
    standin.failNext({ endpoint: "agentUploadChunk", status: 502 });
    standin.failNext({ endpoint: "agentFinishJob", drop: "after" });
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout"] });
    assert.equal(await agent.exit, 0, agent.output());
    const record = standin.jobRecord(id);
    assert.equal(record.state, "finished");
    assert.equal(record.exit_status, "0");
    assert.equal(record.finish_count, 1, "the retried finish is refused, not counted again");
    assert.deepEqual(record.log.problems, []);
    assert.match(standin.jobLogPlain(id), /^survived the faults$/m);
    assert.deepEqual(standin.calls("agentAcquireJob").map((c) => c.status), [503, 200]);
    assert.deepEqual(standin.calls("agentFinishJob").map((c) => c.status), [null, 422]);
  });

  it("waits while acquire answers 423 and runs the job once it is unlocked", async () => {
    await start();
    const id = schedule("echo unlocked");
    standin.forceState(id, "waiting");
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout"] });
    await standin.waitForJob(id, () => standin.calls("agentAcquireJob").length >= 1, 20_000);
    standin.forceState(id, "scheduled");
    assert.equal(await agent.exit, 0, agent.output());
    const acquires = standin.calls("agentAcquireJob");
    assert.deepEqual(acquires.map((c) => c.status).slice(-1), [200]);
    assert.ok(acquires.some((c) => c.status === 423));
    assert.equal(standin.jobRecord(id).exit_status, "0");
  });

  it("exits when acquire is refused with 422 (a job cancelled before it ran), leaving the job as it was", async () => {
    await start();
    const id = schedule("echo never runs");
    standin.cancel(id);
    const agent = await runAgent({ standin, jobId: id, args: ["--skip-checkout"] });
    const code = await agent.exit;
    assert.notEqual(code, 0, agent.output());
    assert.match(agent.output(), /rejected the call to acquire the job/);
    assert.equal(code, 27, "the agent's exit code for a rejected acquire");
    assert.deepEqual(standin.calls("agentAcquireJob").map((c) => c.status), [422], "not retried");
    const record = standin.jobRecord(id);
    assert.equal(record.state, "canceled");
    assert.equal(record.finish_count, 0);
  });
});
