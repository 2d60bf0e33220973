// tryAgentify never throws: whatever the Job or plugin JSON, the answer is an outcome the
// webhook can turn into an AdmissionReview (agentified, unchanged, or denied with a message).
import { expect } from "chai";
import fc from "fast-check";
import { defaultConfig, tryAgentify, type JsonObject, type JsonValue } from "../../../webhook/core/index.ts";
import { setAt } from "./set-at.ts";

const config = defaultConfig();
// FUZZ_RUNS=50000 for a longer hunt; a failure prints the seed to replay it.
const RUNS = Number(process.env["FUZZ_RUNS"] ?? 3000);
const UUID = "0192a7f0-0000-4000-8000-000000000abc";

function baseJob(): JsonObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j", labels: { "buildkite.com/job-uuid": UUID }, annotations: {} },
    spec: { template: { spec: { containers: [{ name: "a", image: "alpine:3", command: ["echo"] }] } } },
  };
}

const PATHS: (string | number)[][] = [
  ["metadata"], ["metadata", "labels"], ["metadata", "annotations"], ["spec"], ["spec", "template"],
  ["spec", "template", "spec"], ["spec", "template", "spec", "containers"], ["spec", "template", "spec", "containers", 0],
  ["spec", "template", "spec", "containers", 0, "name"], ["spec", "template", "spec", "containers", 0, "command"],
  ["spec", "template", "spec", "containers", 0, "args"], ["spec", "template", "spec", "containers", 0, "env"],
  ["spec", "template", "spec", "containers", 0, "env", 0], ["spec", "template", "spec", "containers", 0, "volumeMounts"],
  ["spec", "template", "spec", "containers", 0, "image"], ["spec", "template", "spec", "initContainers"],
  ["spec", "template", "spec", "volumes"], ["spec", "template", "spec", "securityContext"],
  ["spec", "template", "spec", "terminationGracePeriodSeconds"], ["spec", "template", "metadata"],
];

const PLUGIN_KEYS = ["podSpecPatch", "sidecars", "checkout", "commandParams", "sidecarParams", "extraVolumeMounts", "gitEnvFrom", "metadata", "jobActiveDeadlineSeconds"];

function expectOutcome(job: JsonObject): void {
  const outcome = tryAgentify(job, config);
  expect(["agentified", "unchanged", "denied"]).to.include(outcome.result);
  if (outcome.result === "denied") expect(outcome.message).to.be.a("string").and.not.equal("");
}

describe("tryAgentify on hostile input", () => {
  it("answers any value at any path of a labelled Job", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.jsonValue({ maxDepth: 3 })), { minLength: 1, maxLength: 3 }), (edits) => {
        const job = baseJob();
        for (const [path, value] of edits) setAt(job, path, value as JsonValue);
        setAt(job, ["metadata", "labels"], { "buildkite.com/job-uuid": UUID });
        expectOutcome(job);
      }),
      { numRuns: RUNS },
    );
  });

  it("answers any kubernetes plugin JSON, including patches of any shape", () => {
    const patchish = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ containers: fc.array(fc.record({ name: fc.constantFrom("a", "agent", "checkout", "x"), command: fc.jsonValue({ maxDepth: 1 }), env: fc.jsonValue({ maxDepth: 2 }), $patch: fc.constantFrom("delete", "replace", "merge", 3) }, { requiredKeys: ["name"] })) }),
      fc.record({ initContainers: fc.jsonValue({ maxDepth: 3 }), volumes: fc.jsonValue({ maxDepth: 3 }), securityContext: fc.jsonValue({ maxDepth: 2 }) }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...PLUGIN_KEYS), patchish, { maxKeys: 3 }), fc.option(fc.string(), { nil: undefined }), (plugin, raw) => {
        const job = baseJob();
        setAt(job, ["metadata", "annotations", "buildkite.com/kubernetes-plugin"], raw ?? JSON.stringify(plugin));
        expectOutcome(job);
      }),
      { numRuns: RUNS },
    );
  });

  it("answers anything at all that carries the label", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const job = (typeof value === "object" && value !== null && !Array.isArray(value) ? value : { value }) as JsonObject;
        setAt(job, ["metadata", "labels", "buildkite.com/job-uuid"], UUID);
        expectOutcome(job);
      }),
      { numRuns: RUNS },
    );
  });
});
