// Commands run exactly as written on the real node: `$VAR`, `${VAR}`, `$(cmd)`, `$(ENV_NAME)`, `$$`,
// quotes, backslashes, a tab and newlines reach the shell untouched by the kubelet (which would turn
// `$$` into `$` and `$(NAME)` into an earlier env var's value). The same script runs locally under
// `sh -ec` (the agent's shell) and the job's log must show the same lines. Once as the step's command
// (the dispatcher writes it), once as a podSpec container's `command` next to an env var it names
// (agentify writes it).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { JobsEnv } from "./env.ts";
import { expectJobEnded, logLines, podsDone } from "./expect-job.ts";

const SCRIPT = readFileSync(new URL("./dollar-command.sh", import.meta.url), "utf8");
const STEP_ENV = { GREETING: "hello world" };
/** An env var of the container, declared before the command: the kubelet would substitute `$(ENV_NAME)`. */
const CONTAINER_ENV = { ENV_NAME: "from-the-container-env" };

/** The lines from BEGIN-MARK to END-MARK, which the script's own text does not contain. */
function marked(lines: string[]): string[] {
  const begin = lines.indexOf("BEGIN-MARK");
  const end = lines.indexOf("END-MARK");
  if (begin < 0 || end < begin) throw new Error(`no BEGIN-MARK … END-MARK in:\n${lines.join("\n")}`);
  return lines.slice(begin, end + 1);
}

function localRun(jobId: string, containerEnv: Record<string, string>): string[] {
  const out = execFileSync("sh", ["-ec", SCRIPT], { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", ...STEP_ENV, ...containerEnv, BUILDKITE_JOB_ID: jobId }, encoding: "utf8" });
  return marked(out.split("\n"));
}

describe("commands with $, quotes, backslashes and newlines run as written, on the real node (real agent)", function () {
  this.timeout(300_000);
  let e: JobsEnv;
  let stepCommand = "";
  let containerCommand = "";

  before(async function () {
    this.timeout(10 * 60_000);
    e = await JobsEnv.create();
    await e.env.startDispatcher();
    const skipCheckout = { checkout: { skip: true } };
    stepCommand = e.schedule({ command: SCRIPT, image: e.busybox, env: STEP_ENV, plugins: [{ kubernetes: skipCheckout }] });
    containerCommand = e.schedule({
      env: STEP_ENV,
      plugins: [{ kubernetes: { ...skipCheckout, podSpec: { containers: [{
        image: e.busybox, command: [SCRIPT], env: Object.entries(CONTAINER_ENV).map(([name, value]) => ({ name, value })),
      }] } } }],
    });
  });
  after(() => e?.cleanup());

  it("the step's command: the log shows what a local sh -ec prints", async function () {
    await expectJobEnded(e, stepCommand, { state: "finished", exitStatus: "0" });
    const local = localRun(stepCommand, {});
    expect(local, "the script's own lines (a check of the check)").to.include.members(["dollars=$$ $$$", "literal-escaped=$$(ENV_NAME)", "kubelet-style=from-a-function"]);
    expect(marked(logLines(e, stepCommand))).to.deep.equal(local);
    await podsDone(e, stepCommand);
  });

  it("a podSpec container's command next to the env var it names: the log shows what a local sh -ec prints", async function () {
    await expectJobEnded(e, containerCommand, { state: "finished", exitStatus: "0" });
    const local = localRun(containerCommand, CONTAINER_ENV);
    expect(local).to.include.members(["env=from-the-container-env", "kubelet-style=from-a-function"]);
    expect(marked(logLines(e, containerCommand))).to.deep.equal(local);
    await podsDone(e, containerCommand);
  });
});
