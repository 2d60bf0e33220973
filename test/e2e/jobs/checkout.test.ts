// Checkout and plugins over the network on the real node: the pod's checkout container clones from a
// git server on the node's host address, at a given branch and commit; the same as uid 1000 through
// a podSpecPatch (non-root-workspace: chown, the default); and a plugin-only step whose plugin that
// server serves.
import { expect } from "chai";
import { startGitServer } from "../../support/git-server.ts";
import type { GitServer } from "../../support/git-server.ts";
import { JobsEnv } from "./env.ts";
import { expectJobEnded, expectLogLine, podsDone } from "./expect-job.ts";

describe("checkout and plugins from a git server, on the real node (real agent)", function () {
  this.timeout(300_000);
  let e: JobsEnv;
  let git: GitServer;
  const ids: Record<string, string> = {};
  let featureFirst = "";
  let mainTip = "";

  before(async function () {
    this.timeout(10 * 60_000);
    e = await JobsEnv.create();
    git = await startGitServer({ host: e.node.hostIp });
    const repo = await git.createRepo("app");
    const base = await repo.commit("base", { "README.md": "the app\n", "which.txt": "main, first commit\n" });
    await repo.branch("feature/checkout", base);
    featureFirst = await repo.commit("feature one", { "which.txt": "feature branch, first commit\n" }, { branch: "feature/checkout" });
    await repo.commit("feature two", { "which.txt": "feature branch, second commit\n" }, { branch: "feature/checkout" });
    mainTip = await repo.commit("main two", { "which.txt": "main, second commit\n" }, { branch: "main" });
    const plugin = await git.createRepo("hello-buildkite-plugin");
    await plugin.commit("plugin", { "hooks/command": "#!/bin/bash\nset -e\necho \"plugin says $BUILDKITE_PLUGIN_HELLO_NAME\"\n" });
    await plugin.tag("v1.0.0");
    await e.env.startDispatcher();

    // Not the branch's tip: the agent must fetch that very commit.
    ids["branchCommit"] = e.schedule(
      { command: "cat which.txt\ngit rev-parse HEAD", image: e.agentImage },
      { repo: repo.url, branch: "feature/checkout", commit: featureFirst, pipeline: "checkout" },
    );
    ids["nonRoot"] = e.schedule(
      {
        command: 'echo "uid=$(id -u) home=$HOME"\ncat which.txt\ngit rev-parse HEAD\ntouch /workspace/written-as-1000 && echo "the workspace is writable"',
        image: e.agentImage,
        plugins: [{ kubernetes: { podSpecPatch: { securityContext: { runAsUser: 1000 } } } }],
      },
      { repo: repo.url, branch: "main", commit: mainTip, pipeline: "checkout" },
    );
    ids["pluginOnly"] = e.schedule({
      plugins: [{ [`${git.url("hello-buildkite-plugin")}#v1.0.0`]: { name: "agentify" } }, { kubernetes: { checkout: { skip: true } } }],
    });
  });
  after(async () => {
    await e?.cleanup();
    await git?.stop();
  });

  it("checks out the build's branch and commit: that commit's files, and HEAD is the commit", async function () {
    const id = ids["branchCommit"] ?? "";
    await expectJobEnded(e, id, { state: "finished", exitStatus: "0" });
    expectLogLine(e, id, "feature branch, first commit");
    expectLogLine(e, id, featureFirst);
    const [pod] = await podsDone(e, id);
    expect(pod?.status?.phase).to.equal("Succeeded");
    expect(pod?.spec?.containers.map((c) => c.name)).to.deep.equal(["container-0", "agent", "checkout"]);
  });

  it("runs as uid 1000 from a podSpecPatch (chown mode): checkout works, HOME is the workspace", async function () {
    const id = ids["nonRoot"] ?? "";
    await expectJobEnded(e, id, { state: "finished", exitStatus: "0" });
    expectLogLine(e, id, "uid=1000 home=/workspace");
    expectLogLine(e, id, "main, second commit");
    expectLogLine(e, id, mainTip);
    expectLogLine(e, id, "the workspace is writable");
    const [pod] = await podsDone(e, id);
    expect(pod?.status?.phase).to.equal("Succeeded");
  });

  it("runs a plugin-only step whose plugin the git server serves", async function () {
    const id = ids["pluginOnly"] ?? "";
    await expectJobEnded(e, id, { state: "finished", exitStatus: "0" });
    expect(e.log(id)).to.match(new RegExp(`git clone .*${git.url("hello-buildkite-plugin").replaceAll(".", "\\.")}`));
    expectLogLine(e, id, "plugin says agentify");
    const [pod] = await podsDone(e, id);
    expect(pod?.status?.phase).to.equal("Succeeded");
  });
});
