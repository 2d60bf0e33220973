// The render CLI as a user runs it: a child process, stdout, stderr and the exit code.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect } from "chai";
import { REPO_ROOT } from "../../golden/load.ts";

function agentify(args: string[], input?: string) {
  const result = spawnSync(process.execPath, ["bin/agentify.ts", ...args], { cwd: REPO_ROOT, input, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("agentify render (CLI)", function () {
  this.timeout(60_000);

  it("prints the golden agentified Job", () => {
    const out = agentify(["render", "-f", "test/golden/hello-world-two-containers.yaml"]);
    expect(out.stderr).to.equal("");
    expect(out.code).to.equal(0);
    expect(out.stdout).to.equal(readFileSync(`${REPO_ROOT}/test/golden/hello-world-two-containers.agentified.yaml`, "utf8"));
  });

  it("reads stdin and prints the patch, with a config file", () => {
    const input = readFileSync(`${REPO_ROOT}/test/golden/configured/resource-class-tag.yaml`, "utf8");
    const out = agentify(["render", "-f", "-", "-o", "patch", "--config", "test/golden/configured/config.yaml"], input);
    expect(out.code).to.equal(0);
    expect(out.stdout).to.equal(readFileSync(`${REPO_ROOT}/test/golden/configured/resource-class-tag.patch.json`, "utf8"));
  });

  it("passes non-Job documents through and agentifies the Jobs among them", () => {
    const out = agentify(["render", "-f", "test/golden/mixed-documents.yaml"]);
    expect(out.code).to.equal(0);
    expect(out.stdout).to.equal(readFileSync(`${REPO_ROOT}/test/golden/mixed-documents.agentified.yaml`, "utf8"));
  });

  it("fails with exit code 1, naming the document and the reason", () => {
    const out = agentify(["render", "-f", "test/golden/invalid-uuid.yaml"]);
    expect(out.code).to.equal(1);
    expect(out.stdout).to.equal("");
    expect(out.stderr).to.equal(`error: ${readFileSync(`${REPO_ROOT}/test/golden/invalid-uuid.error.txt`, "utf8")}`);
  });

  it("reports a missing file, a bad config and a bad format clearly", () => {
    expect(agentify(["render", "-f", "no-such.yaml"])).to.deep.equal({ code: 1, stdout: "", stderr: "error: no-such.yaml: no such file\n" });
    const badConfig = agentify(["render", "-f", "test/golden/sidecars.yaml", "--config", "test/golden/sidecars.yaml"]);
    expect(badConfig.code).to.equal(1);
    expect(badConfig.stderr).to.match(/^error: test\/golden\/sidecars\.yaml: .*unknown key/);
    expect(agentify(["render", "-f", "x", "-o", "xml"]).stderr).to.equal('error: --output must be one of yaml, json, patch, got "xml"\n');
  });

  it("describes every flag in --help", () => {
    const out = agentify(["render", "--help"]);
    expect(out.code).to.equal(0);
    for (const flag of ["--filename", "--config", "--output"]) expect(out.stdout).to.contain(flag);
  });
});
