// The git server for checkout tests: repositories with commits, branches and a tag,
// cloned over git:// from loopback; a clean stop.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { git, startGitServer } from "../../support/git-server.ts";
import type { GitServer } from "../../support/git-server.ts";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

describe("git server (git daemon) for checkout tests", function () {
  this.timeout(30_000);
  let server: GitServer;
  let scratch: string;
  beforeEach(async () => {
    server = await startGitServer({ host: "127.0.0.1" });
    scratch = await mkdtemp(join(tmpdir(), "agentify-git-test-"));
  });
  afterEach(async () => {
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it("serves commits, branches and an annotated tag that clone over git:// from loopback", async () => {
    const repo = await server.createRepo("app");
    const first = await repo.commit("first", { "README.md": "hello\n", "src/run.sh": "echo run\n" });
    const onFeature = await repo.commit("feature work", { "feature.txt": "feature\n" }, { branch: "feature/x" });
    const second = await repo.commit("second", { "README.md": "hello again\n", "src/run.sh": null }, { branch: "main" });
    const tagged = await repo.tag("v1.0.0", first);
    assert.equal(tagged, first);
    assert.match(first, /^[0-9a-f]{40}$/);
    assert.equal(server.url("app"), `git://127.0.0.1:${server.port}/app.git`);
    assert.equal(await repo.rev("main"), second);
    assert.equal(await repo.rev("feature/x"), onFeature);

    const main = join(scratch, "main");
    await git(scratch, ["clone", "--quiet", server.url("app"), main]);
    assert.equal(await readFile(join(main, "README.md"), "utf8"), "hello again\n");
    assert.equal(existsSync(join(main, "src/run.sh")), false, "deleted in the second commit");
    assert.equal(await git(main, ["rev-parse", "HEAD"]), second);
    assert.equal(await git(main, ["cat-file", "-t", "v1.0.0"]), "tag", "annotated");
    assert.equal(await git(main, ["rev-parse", "v1.0.0^{commit}"]), first);

    const feature = join(scratch, "feature");
    await git(scratch, ["clone", "--quiet", "--branch", "feature/x", server.url("app"), feature]);
    assert.equal(await readFile(join(feature, "feature.txt"), "utf8"), "feature\n");
    assert.equal(await git(feature, ["rev-parse", "HEAD^"]), first, "the branch started at the first commit");

    // What the agent's checkout does: fetch one commit by SHA into a fresh repository.
    const bySha = join(scratch, "by-sha");
    await git(scratch, ["init", "--quiet", bySha]);
    await git(bySha, ["fetch", "--quiet", server.url("app"), first]);
    await git(bySha, ["checkout", "--quiet", first]);
    assert.equal(await readFile(join(bySha, "src/run.sh"), "utf8"), "echo run\n");
  });

  it("publishes later commits to existing clones and keeps repositories apart", async () => {
    const one = await server.createRepo("one");
    await one.commit("a", { "a.txt": "a\n" });
    const other = await server.createRepo("plugin-x", { defaultBranch: "trunk" });
    const pluginHead = await other.commit("plugin", { "hooks/command": "#!/bin/sh\necho plugin\n" });
    const clone = join(scratch, "one");
    await git(scratch, ["clone", "--quiet", server.url("one"), clone]);
    const later = await one.commit("b", { "b.txt": "b\n" });
    await git(clone, ["pull", "--quiet", "--ff-only"]);
    assert.equal(await git(clone, ["rev-parse", "HEAD"]), later);
    assert.equal(await git(scratch, ["ls-remote", server.url("plugin-x"), "refs/heads/trunk"]), `${pluginHead}\trefs/heads/trunk`);
    await assert.rejects(git(scratch, ["ls-remote", server.url("missing")]), /missing\.git|not exported|access denied|does not appear/i);
  });

  it("refuses repository names and file paths that leave their folder", async () => {
    await assert.rejects(server.createRepo("../escape"), /repository name/);
    await assert.rejects(server.createRepo(".hidden"), /repository name/);
    const repo = await server.createRepo("safe");
    await assert.rejects(repo.commit("bad", { "../outside.txt": "x" }), /must stay inside/);
  });

  it("stops the daemon by its pid and removes its temp dir", async () => {
    const { pid, port, root } = server;
    assert.equal(isAlive(pid), true);
    await server.stop();
    assert.equal(isAlive(pid), false);
    assert.equal(existsSync(root), false);
    assert.equal(await refused("127.0.0.1", port), true);
    server = await startGitServer(); // for afterEach
  });

  it("fails clearly when the port is taken", async () => {
    await assert.rejects(startGitServer({ port: server.port, startTimeoutMs: 3_000 }), /git daemon (exited|did not listen)/);
  });
});
