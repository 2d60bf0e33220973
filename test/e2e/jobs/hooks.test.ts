// Agent hooks from the configured hooks volume, on the real node: `agent-config.hooksVolume` is a
// ConfigMap of executable hooks; the `environment` hook's export reaches the command and the
// `pre-command` hook runs before it, both in the job log.
import { expect } from "chai";
import { commandStep, JobsEnv } from "./env.ts";
import { expectJobEnded, expectLogLine, logLines, podsDone } from "./expect-job.ts";

const HOOKS = {
  environment: '#!/bin/sh\necho "environment hook ran for $BUILDKITE_JOB_ID"\nexport HOOK_GREETING="set by the environment hook"\n',
  "pre-command": '#!/bin/sh\necho "pre-command hook ran"\n',
};

describe("agent hooks from the configured hooks volume, on the real node (real agent)", function () {
  this.timeout(300_000);
  let e: JobsEnv;
  let id = "";

  before(async function () {
    this.timeout(10 * 60_000);
    e = await JobsEnv.create({
      agentConfig: { hooksVolume: { name: "agent-hooks", configMap: { name: "agent-hooks", defaultMode: 0o755 } } },
    });
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "agent-hooks", namespace: e.env.namespace }, data: HOOKS };
    await e.env.cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(configMap), check: true });
    await e.env.startDispatcher();
    id = e.schedule(commandStep('echo "command sees: $HOOK_GREETING"', e.busybox));
  });
  after(() => e?.cleanup());

  it("runs the environment and pre-command hooks before the command, with the environment hook's export", async function () {
    await expectJobEnded(e, id, { state: "finished", exitStatus: "0" });
    expectLogLine(e, id, `environment hook ran for ${id}`);
    expectLogLine(e, id, "pre-command hook ran");
    expectLogLine(e, id, "command sees: set by the environment hook");
    const lines = logLines(e, id);
    const at = (line: string) => lines.indexOf(line);
    expect(at(`environment hook ran for ${id}`)).to.be.lessThan(at("pre-command hook ran"));
    expect(at("pre-command hook ran")).to.be.lessThan(at("command sees: set by the environment hook"));
    const [pod] = await podsDone(e, id);
    expect(pod?.status?.phase).to.equal("Succeeded");
  });
});
