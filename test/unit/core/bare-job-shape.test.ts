// The bare Job's shape is checked twice over: hasValidShape answers yes or no on every admission,
// and checkShape, which builds the field's path for the message, runs only on a Job the first
// refuses. Both must accept exactly the same Jobs: a Job the fast check let through that
// checkShape would refuse would reach the core unchecked.
import { expect } from "chai";
import fc from "fast-check";
import { checkShape, hasValidShape } from "../../../webhook/core/job/bare-job.ts";
import type { JsonObject, JsonValue } from "../../../webhook/core/index.ts";
import { setAt } from "./set-at.ts";

const RUNS = Number(process.env["FUZZ_RUNS"] ?? 3000);

function validJob(): JsonObject {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "j", labels: { a: "b" }, annotations: { c: "d" } },
    spec: {
      template: {
        metadata: { labels: { e: "f" } },
        spec: {
          containers: [{
            name: "a", image: "alpine:3", workingDir: "/w", imagePullPolicy: "Always", command: ["echo"], args: ["hi"],
            env: [{ name: "A", value: "1" }, { name: "B", valueFrom: { fieldRef: { fieldPath: "x" } } }],
            volumeMounts: [{ name: "v", mountPath: "/v" }], envFrom: [{ secretRef: { name: "s" } }], securityContext: {}, resources: {},
          }],
          initContainers: [{ name: "i", image: "busybox" }],
          volumes: [{ name: "v", emptyDir: {} }],
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsUser: 1000, runAsGroup: 1000 },
        },
      },
    },
  };
}

const C = ["spec", "template", "spec", "containers", 0];
const PATHS: (string | number)[][] = [
  [], ["kind"], ["metadata"], ["metadata", "labels"], ["metadata", "labels", "a"], ["metadata", "annotations", "c"], ["spec"], ["spec", "template"],
  ["spec", "template", "metadata"], ["spec", "template", "metadata", "annotations"], ["spec", "template", "spec"],
  ["spec", "template", "spec", "containers"], C, [...C, "name"], [...C, "image"], [...C, "workingDir"], [...C, "imagePullPolicy"],
  [...C, "command"], [...C, "command", 0], [...C, "args", 1], [...C, "env"], [...C, "env", 0], [...C, "env", 0, "name"], [...C, "env", 1, "value"],
  [...C, "volumeMounts", 0], [...C, "volumeMounts", 0, "mountPath"], [...C, "volumeMounts", 0, "name"], [...C, "envFrom", 0],
  [...C, "securityContext"], [...C, "resources"], ["spec", "template", "spec", "initContainers"], ["spec", "template", "spec", "initContainers", 0, "env"],
  ["spec", "template", "spec", "volumes", 0], ["spec", "template", "spec", "volumes", 0, "name"],
  ["spec", "template", "spec", "terminationGracePeriodSeconds"], ["spec", "template", "spec", "securityContext"],
  ["spec", "template", "spec", "securityContext", "runAsUser"], ["spec", "template", "spec", "securityContext", "runAsGroup"],
];

function checkShapeAccepts(input: unknown): boolean {
  try {
    checkShape(input);
    return true;
  } catch {
    return false;
  }
}

describe("bare Job shape checks", () => {
  it("accept the same Jobs, field by field", () => {
    expect(hasValidShape(validJob())).to.equal(true);
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => v as JsonValue), fc.constantFrom<JsonValue>(null, "", 1.5, 7, [], {}, ["x"], [{}], [{ name: "" }], [{ name: "n", value: 1 }]));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...PATHS), value), { minLength: 1, maxLength: 3 }), (edits) => {
        let job: JsonValue = validJob();
        for (const [path, v] of edits) job = typeof job === "object" && job !== null && !Array.isArray(job) ? setAt(job, path, structuredClone(v)) : job;
        // As the webhook gets it: JSON (setAt can leave holes in arrays, which no JSON has).
        job = JSON.parse(JSON.stringify(job)) as JsonValue;
        expect(hasValidShape(job)).to.equal(checkShapeAccepts(job));
      }),
      { numRuns: RUNS },
    );
  });

  it("refuse what checkShape names, with checkShape's message", () => {
    const job = setAt(validJob(), [...C, "env", 1, "value"], 3);
    expect(hasValidShape(job)).to.equal(false);
    expect(() => checkShape(job)).to.throw("invalid Job: spec.template.spec.containers[0].env[1].value: expected string, received number");
  });
});
