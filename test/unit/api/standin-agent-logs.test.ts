// Log chunks (gzip, in sequence order, gaps and duplicates found), build meta-data,
// and how a test reads a job's log and record: in process, over /_standin, and
// with the CLI.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AgentApiClient } from "../../standin/agent-client.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";

const CLI = fileURLToPath(new URL("../../standin/cli.ts", import.meta.url));
const run = promisify(execFile);

describe("stand-in Agent API: logs, meta-data, and reading a job's record", () => {
  let standin: StandinHandle;
  let agent: AgentApiClient;
  let id: string;
  beforeEach(async () => {
    standin = await startStandin({ rateLimits: false });
    agent = new AgentApiClient(standin.url, standin.token);
    await agent.register({ name: "logger" });
    id = standin.enqueue({ command: "echo hi" });
    await agent.acquire(id);
    await agent.start(id);
  });
  afterEach(() => standin.stop());

  it("assembles chunks by sequence whatever order they arrive in", async () => {
    assert.equal((await agent.chunk(id, 3, 12, "three\n")).status, 201);
    assert.equal((await agent.chunk(id, 1, 0, "one\n")).status, 201);
    assert.deepEqual(standin.jobLogDetail(id).problems, ["missing chunk(s) 2"], "a gap while chunk 2 is in flight");
    assert.equal((await agent.chunk(id, 2, 4, "two two\n")).status, 201);
    assert.equal(standin.jobLog(id), "one\ntwo two\nthree\n");
    const detail = standin.jobLogDetail(id);
    assert.deepEqual(detail.problems, []);
    assert.equal(detail.bytes, 18);
    assert.deepEqual(detail.chunks.map((c) => c.sequence), [1, 2, 3]);
  });

  it("keeps a retried chunk once, refuses one that differs, and reports gaps and offset jumps", async () => {
    await agent.chunk(id, 1, 0, "aaaa");
    assert.equal((await agent.chunk(id, 1, 0, "aaaa")).status, 201);
    assert.equal(standin.jobLogDetail(id).duplicates, 1);
    assert.equal((await agent.chunk(id, 1, 0, "bbbb")).status, 422);
    await agent.chunk(id, 2, 10, "cc");
    await agent.chunk(id, 5, 12, "dd");
    assert.equal(standin.jobLog(id), "aaaaccdd");
    assert.deepEqual(standin.jobLogDetail(id).problems, ["chunk 2 starts at offset 10, expected 4", "missing chunk(s) 3..4"]);
  });

  it("refuses chunks that are not gzip, whose size is wrong, or whose parameters are missing", async () => {
    const plain = await agent.chunk(id, 1, 0, "plain", { plain: true });
    assert.equal(plain.status, 400);
    assert.match(String((plain.body as { message: string }).message), /gzip/);
    const bad = await agent.request("POST", `/jobs/${id}/chunks?sequence=1&offset=0&size=3`, { body: Buffer.from("not gzip"), headers: { "content-encoding": "gzip" } });
    assert.equal(bad.status, 400);
    assert.equal((await agent.chunk(id, 1, 0, "abc", { size: 4 })).status, 422);
    assert.equal((await agent.request("POST", `/jobs/${id}/chunks?offset=0&size=0`, { body: Buffer.alloc(0), headers: { "content-encoding": "gzip" } })).status, 400);
    assert.equal((await agent.chunk(id, 0, 0, "x")).status, 400, "sequences start at 1");
    assert.equal(standin.jobLog(id), "");
  });

  it("reports chunks the agent gave up on, even when they were the last ones (no gap shows it)", async () => {
    // Seen with the real agent: it drops a chunk answered 4xx (429 included) and only counts it in
    // finish's chunks_failed_count; lost chunks at the end leave no gap in the sequence numbers.
    await agent.chunk(id, 1, 0, "first\n");
    await agent.finish(id, { exit_status: "0", chunks_failed_count: 2 });
    const expected = ["the agent gave up on 2 chunk(s) (chunks_failed_count): the log is incomplete"];
    assert.deepEqual(standin.jobLogDetail(id).problems, expected);
    assert.deepEqual(standin.jobRecord(id).log.problems, expected);
    assert.equal(standin.jobRecord(id).chunks_failed_count, 2);
  });

  it("flags a chunk that arrives after finish", async () => {
    await agent.chunk(id, 1, 0, "before\n");
    await agent.finish(id, { exit_status: "0" });
    assert.equal((await agent.chunk(id, 2, 7, "after\n")).status, 201);
    assert.deepEqual(standin.jobLogDetail(id).problems, ["chunk 2 arrived after the job finished"]);
  });

  it("stores meta-data per build: exists, set, get, keys, set-batch", async () => {
    assert.deepEqual((await agent.metaData(id, "exists", { key: "buildkite:git:commit" })).body, { exists: false });
    assert.equal((await agent.metaData(id, "set", { key: "buildkite:git:commit", value: "commit abc" })).status, 200);
    assert.deepEqual((await agent.metaData(id, "exists", { key: "buildkite:git:commit" })).body, { exists: true });
    const sibling = standin.enqueueBuild([{ command: "a" }])[0] ?? "";
    assert.deepEqual(standin.metaData(sibling), {}, "another build has its own");
    assert.deepEqual((await agent.metaData(id, "get", { key: "buildkite:git:commit" })).body, { key: "buildkite:git:commit", value: "commit abc" });
    assert.equal((await agent.metaData(id, "get", { key: "nope" })).status, 404);
    assert.equal((await agent.metaData(id, "set", { key: "", value: "x" })).status, 422);
    assert.equal((await agent.metaData(id, "set", { key: "k", value: 3 })).status, 422);
    assert.equal((await agent.metaData(id, "set-batch", { items: [{ key: "a", value: "1" }, { key: "b" }] })).status, 422);
    assert.equal((await agent.metaData(id, "set-batch", { items: [{ key: "a", value: "1" }, { key: "b", value: "2" }] })).status, 200);
    assert.deepEqual((await agent.metaData(id, "keys", {})).body, ["buildkite:git:commit", "a", "b"]);
    assert.deepEqual(standin.metaData(id), { "buildkite:git:commit": "commit abc", a: "1", b: "2" });
  });

  it("serves the log and the record under /_standin, 404 for an unknown job", async () => {
    await agent.chunk(id, 1, 0, "line 1\nline 2\n");
    await agent.finish(id, { exit_status: "3" });
    const log = await fetch(`${standin.origin}/_standin/jobs/${id}/log`);
    assert.equal(log.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(await log.text(), "line 1\nline 2\n");
    const detail = (await (await fetch(`${standin.origin}/_standin/jobs/${id}/log?detail=1`)).json()) as { bytes: number };
    assert.equal(detail.bytes, 14);
    const record = (await (await fetch(`${standin.origin}/_standin/jobs/${id}/record`)).json()) as Record<string, unknown>;
    assert.equal(record.state, "finished");
    assert.equal(record.exit_status, "3");
    assert.equal(record.finish_count, 1);
    assert.equal((await fetch(`${standin.origin}/_standin/jobs/nope/record`)).status, 404);
    const agents = (await (await fetch(`${standin.origin}/_standin/agents`)).json()) as { name: string }[];
    assert.deepEqual(agents.map((a) => a.name), ["logger"]);
    const forced = await fetch(`${standin.origin}/_standin/jobs/${id}/force-state`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ state: "bogus" }) });
    assert.equal(forced.status, 409);
  });

  it("gives the log without the agent's inline timestamps, colours and CRs on request", async () => {
    await agent.chunk(id, 1, 0, "\x1b_bk;t=1796120335144\x07~~~ Running commands\r\n\x1b_bk;t=1796120335151\x07\x1b[90m$\x1b[0m echo hi\r\nhi\r\n");
    assert.equal(standin.jobLogPlain(id), "~~~ Running commands\n$ echo hi\nhi\n");
    assert.equal(await (await fetch(`${standin.origin}/_standin/jobs/${id}/log?plain=1`)).text(), "~~~ Running commands\n$ echo hi\nhi\n");
    assert.equal((await run(process.execPath, [CLI, "log", id, "--plain", "--url", standin.origin])).stdout, "~~~ Running commands\n$ echo hi\nhi\n");
  });

  it("prints the log and the record with the CLI", async () => {
    await agent.chunk(id, 1, 0, "Hello from agentify\n");
    await agent.finish(id, { exit_status: "-1", signal_reason: "cancel" });
    const log = await run(process.execPath, [CLI, "log", id, "--url", standin.origin]);
    assert.equal(log.stdout, "Hello from agentify\n");
    const record = await run(process.execPath, [CLI, "record", id, "--url", standin.url]);
    assert.match(record.stdout, /state: +finished/);
    assert.match(record.stdout, /exit status: +-1/);
    assert.match(record.stdout, /signal_reason: +cancel/);
    assert.match(record.stdout, /finish count: +1 \(1 attempt\(s\)\)/);
    const json = JSON.parse((await run(process.execPath, [CLI, "record", id, "--json", "--url", standin.origin])).stdout) as { finish_count: number };
    assert.equal(json.finish_count, 1);
    const unknown = await run(process.execPath, [CLI, "record", "nope", "--url", standin.origin]).catch((err: { code: number; stderr: string }) => err);
    assert.equal((unknown as { code: number }).code, 1);
    assert.match((unknown as { stderr: string }).stderr, /404/);
  });
});
