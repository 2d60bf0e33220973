// Buildkite's own Go client of the stacks API (github.com/buildkite/stacksapi) against
// the stand-in on loopback: test/clients/stacksapi/main.go registers, lists two pages,
// reserves, gets, reads states, finishes twice, notifies, is rate-limited (with and
// without its retrier), uses a wrong token and deregisters, checking every answer.
// Built once per go.sum/main.go into ~/.cache/agentify (test/clients/stacksapi/build.sh).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";

const BUILD = fileURLToPath(new URL("../../clients/stacksapi/build.sh", import.meta.url));
const run = promisify(execFile);
const QUEUE = "kubernetes";
const COMMAND = "echo \"checked by $CLIENT\"\nmake test";

describe("Buildkite's Go stacks API client against the stand-in", function () {
  let binary: string;
  let standin: StandinHandle;

  before(async function () {
    // A cold build downloads the module and compiles it with -p 1.
    this.timeout(600_000);
    try {
      const { stdout } = await run("bash", [BUILD], { maxBuffer: 16 * 1024 * 1024 });
      binary = stdout.trim().split("\n").at(-1) ?? "";
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? "";
      throw new Error(`building test/clients/stacksapi failed (needs Go and the module proxy on first run):\n${stderr.slice(-4000)}`, { cause: err });
    }
  });

  beforeEach(async () => {
    // Real clock and the documented rate limits: the client waits Retry-After in real time.
    standin = await startStandin({});
  });
  afterEach(() => standin.stop());

  it("registers, lists, reserves, gets, finishes, notifies and is rate-limited as the stand-in documents", async function () {
    this.timeout(60_000);
    const ids = standin.enqueueBuild([1, 2, 3].map((n) => ({ command: COMMAND, key: `step-${n}`, agents: { queue: QUEUE } })), { pipeline: "go-check" });
    let stdout: string;
    try {
      ({ stdout } = await run(binary, ["-endpoint", standin.url, "-token", standin.token, "-queue", QUEUE, "-jobs", ids.join(","), "-command", COMMAND], { timeout: 50_000 }));
    } catch (err) {
      const { stdout: out = "", stderr = "" } = err as { stdout?: string; stderr?: string };
      assert.fail(`the Go client check failed:\n${stderr}${out}`);
    }
    assert.match(stdout, /^stacksapi v1\.0\.2: \d+ checks passed$/m);
    // The stand-in saw what the client says it did.
    assert.equal(standin.job(ids[0] ?? "")?.finish?.exitStatus, 2);
    assert.equal(standin.job(ids[0] ?? "")?.finish?.by, "stack");
    assert.deepEqual(standin.job(ids[1] ?? "")?.notifications.map((n) => n.detail), ["pod pending"]);
    assert.ok(standin.calls("listScheduledJobs").some((c) => c.status === 429), "was rate-limited");
    const registers = standin.calls("register");
    assert.deepEqual(registers.map((c) => c.status), [201, 401], "registered, then the wrong token once, not retried");
    assert.match(registers[0]?.headers.userAgent ?? "", /^agentify-check\/0 stackspi\/v1\.0\.2$/);
    assert.equal(standin.stacks()[0]?.deregistered, true);
  });

  it("fails loudly when an answer is not what the client expects", async function () {
    this.timeout(60_000);
    // The check itself must be able to fail: here the jobs are not in the order it is told.
    const ids = standin.enqueueBuild([1, 2, 3].map(() => ({ command: COMMAND, agents: { queue: QUEUE } })));
    const result = await run(binary, ["-endpoint", standin.url, "-token", standin.token, "-jobs", [...ids].reverse().join(","), "-command", COMMAND], { timeout: 50_000 })
      .then(() => null, (err: { code?: number; stderr?: string }) => err);
    assert.equal(result?.code, 1);
    assert.match(result?.stderr ?? "", /FAIL: ListScheduledJobs: listed/);
  });
});
