// Golden tests of the core through the render front end. UPDATE_GOLDEN=1 rewrites the files;
// otherwise any difference, a missing file, or a file that should not exist fails.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { expect } from "chai";
import { goldenCases, orphanedOutputs } from "../../golden/load.ts";
import { parseDocuments, RenderError, renderDocuments } from "../../../webhook/render/render.ts";
import type { Job } from "../../../webhook/core/k8s.ts";
import { checklistViolations } from "../../support/checklist.ts";

const update = process.env.UPDATE_GOLDEN === "1";

function expectFile(path: string, actual: string | undefined): void {
  if (update) {
    if (actual === undefined) rmSync(path, { force: true });
    else writeFileSync(path, actual);
    return;
  }
  if (actual === undefined) {
    expect(existsSync(path), `${path} is stale: this case produces no such output`).to.equal(false);
    return;
  }
  expect(existsSync(path), `${path} is missing (run UPDATE_GOLDEN=1 make test-unit)`).to.equal(true);
  expect(actual).to.equal(readFileSync(path, "utf8"));
}

describe("golden cases", () => {
  const cases = goldenCases();

  it("has at least 25 cases", () => {
    expect(cases.length).to.be.at.least(25);
  });

  it("has no orphaned golden outputs", () => {
    expect(orphanedOutputs()).to.deep.equal([]);
  });

  for (const c of cases) {
    it(c.name, () => {
      let yaml: string | undefined;
      let patch: string | undefined;
      let error: string | undefined;
      try {
        yaml = renderDocuments(c.inputText, c.source, c.config, "yaml");
        patch = renderDocuments(c.inputText, c.source, c.config, "patch");
      } catch (err) {
        if (!(err instanceof RenderError)) throw err;
        error = `${err.message}\n`;
      }
      expectFile(c.agentifiedPath, yaml);
      expectFile(c.patchPath, patch);
      expectFile(c.errorPath, error);
    });
  }
});

describe("golden agentified Jobs pass the pod checklist", () => {
  for (const c of goldenCases()) {
    if (!existsSync(c.agentifiedPath)) continue;
    it(c.name, () => {
      const inputs = parseDocuments(c.inputText, c.source);
      const outputs = parseDocuments(readFileSync(c.agentifiedPath, "utf8"), c.agentifiedPath);
      inputs.forEach((input, i) => {
        const job = input as unknown as Job;
        if (job.kind !== "Job" || !job.metadata?.labels?.["buildkite.com/job-uuid"]) return;
        const plugin = JSON.parse(job.metadata.annotations?.["buildkite.com/kubernetes-plugin"] ?? "{}") as { checkout?: { skip?: boolean } };
        const checkout = !(plugin.checkout?.skip ?? c.config["default-checkout-params"]?.skip ?? false);
        const violations = checklistViolations(outputs[i] as unknown as Job, { inputContainers: job.spec.template.spec.containers, checkout });
        expect(violations).to.deep.equal([]);
      });
    });
  }
});
