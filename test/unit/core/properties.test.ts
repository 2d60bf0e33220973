// Property tests over generated bare Jobs: the checklist holds, agentify is idempotent and
// deterministic, and the JSON patch turns the input into the output.
import { expect } from "chai";
import fc from "fast-check";
import jsonpatch from "fast-json-patch";
import { agentify, defaultConfig, patchFor, type JsonObject } from "../../../webhook/core/index.ts";
import { interpose } from "../../../webhook/core/interposer.ts";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import { checklistViolations } from "../../support/checklist.ts";
import { containerEnv } from "../../support/kubelet-env.ts";

const config = defaultConfig();
const envName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,12}$/).filter((n) => !n.startsWith("BUILDKITE_"));
const image = fc.constantFrom("alpine:3.20", "golang:1.23", "node:22", "ghcr.io/acme/tool@sha256:" + "a".repeat(64));
// `$`, `(` and `)` make kubelet references ($(A), $$) that must reach the shell as written.
const word = fc.stringMatching(/^[a-zA-Z0-9_ '"$()\\]{1,12}$/);
const stepCommand = fc.stringMatching(/^[a-zA-Z0-9_ '"$()\\\n]{0,16}$/);

const container = fc.record(
  {
    image,
    command: fc.option(fc.array(word, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    args: fc.option(fc.array(word, { maxLength: 3 }), { nil: undefined }),
    env: fc.uniqueArray(fc.record({ name: envName, value: fc.string({ maxLength: 8 }) }), { selector: (e) => e.name, maxLength: 6 }),
    mounts: fc.uniqueArray(fc.constantFrom("/cache", "/data", "/tmp/x", "/srv"), { maxLength: 2 }),
    workingDir: fc.option(fc.constantFrom("/src", "/workspace/app"), { nil: undefined }),
  },
  { requiredKeys: ["image", "env", "mounts"] },
);

const bareJob = fc
  .record({
    uuid: fc.uuid(),
    names: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/).filter((n) => !["agent", "checkout", "copy-agent"].includes(n) && !n.startsWith("imagecheck-") && !n.startsWith("sidecar-")), { minLength: 1, maxLength: 5 }),
    containers: fc.array(container, { minLength: 5, maxLength: 5 }),
    step: stepCommand,
    unnamed: fc.boolean(),
    skip: fc.boolean(),
    sidecars: fc.nat({ max: 2 }),
    interposer: fc.constantFrom(undefined, "buildkite", "vector", "legacy"),
    runAsUser: fc.option(fc.constantFrom(0, 1000, 4242), { nil: undefined }),
  })
  .map(({ uuid, names, containers, step, unnamed, skip, sidecars, interposer, runAsUser }) => {
    const expectedCommands: string[] = [];
    const specContainers: Container[] = names.map((name, i) => {
      const c = containers[i % containers.length];
      if (!c) throw new Error("generator produced too few containers");
      const out: Container = { name: unnamed && names.length === 1 ? "" : name, image: c.image, env: [...c.env] };
      if (c.command) out.command = c.command;
      else out.env?.push({ name: "BUILDKITE_COMMAND", value: step });
      if (c.args) out.args = c.args;
      // A Job's own BUILDKITE_COMMAND is a Kubernetes env value: it means what the kubelet makes of it.
      expectedCommands.push(c.command ? interpose(interposer, c.command, c.args) : containerEnv(out).get("BUILDKITE_COMMAND") ?? "");
      if (c.workingDir) out.workingDir = c.workingDir;
      out.volumeMounts = c.mounts.map((p) => ({ name: "data", mountPath: p }));
      return out;
    });
    const plugin = {
      checkout: { skip },
      sidecars: Array.from({ length: sidecars }, (_, i) => ({ image: "redis:7", name: `side${i}` })),
      ...(interposer ? { commandParams: { interposer } } : {}),
    };
    const job: Job = {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: `buildkite-${uuid}`, labels: { "buildkite.com/job-uuid": uuid }, annotations: { "buildkite.com/kubernetes-plugin": JSON.stringify(plugin) } },
      spec: {
        suspend: true,
        template: {
          spec: {
            containers: specContainers,
            volumes: [{ name: "data", emptyDir: {} }],
            ...(runAsUser !== undefined ? { securityContext: { runAsUser } } : {}),
          },
        },
      },
    };
    return { job: job as unknown as JsonObject, skip, expectedCommands };
  });

describe("agentify properties (1,000 generated Jobs)", () => {
  it("satisfies the checklist, is idempotent and deterministic, and its patch reproduces it", () => {
    fc.assert(
      fc.property(bareJob, ({ job, skip, expectedCommands }) => {
        const out = agentify(job, config);
        const bytes = JSON.stringify(out);
        expect(JSON.stringify(agentify(job, config))).to.equal(bytes);
        expect(JSON.stringify(agentify(out, config))).to.equal(bytes);
        const input = job as unknown as Job;
        const violations = checklistViolations(out as unknown as Job, { inputContainers: input.spec.template.spec.containers, expectedCommands, checkout: !skip });
        expect(violations).to.deep.equal([]);
        const patched = jsonpatch.applyPatch(structuredClone(job), patchFor(job, out) as jsonpatch.Operation[], true, false).newDocument;
        expect(patched).to.deep.equal(out);
      }),
      { numRuns: 1000 },
    );
  });
});
