// Pull policies of command containers and their image checks. The apiserver gives every
// container a policy before any webhook sees the Job, so the dispatcher leaves unset what the
// step did not set and lists what it did set in `buildkite.com/step-image-pull-policies`; the
// webhook drops the apiserver's defaults and applies the config's, as agent-stack-k8s does with
// the step's own spec. A Job without the annotation keeps its policies as stored.
import { expect } from "chai";
import { buildBareJob } from "../../../dispatcher/job/bare-job.ts";
import { tryAgentify } from "../../../webhook/core/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import { agentified, config, container, labelledJob, podOf } from "./jobs.ts";

const POLICIES = ["", "Always", "IfNotPresent", "Never"] as const;
const IMAGES = { tagged: "golang:1.23", digest: `golang@sha256:${"a".repeat(64)}`, untagged: "golang" } as const;
const ANNOTATION = "buildkite.com/step-image-pull-policies";

/** What the apiserver's defaulting does to a container without a policy (SetDefaults_Container). */
function apiserverPolicy(image: string): string {
  const name = image.split("@")[0] as string;
  const tag = name.includes(":", name.lastIndexOf("/") + 1) ? name.slice(name.lastIndexOf(":") + 1) : image.includes("@") ? "" : "latest";
  return tag === "latest" ? "Always" : "IfNotPresent";
}

function storedByApiserver(job: Job): JsonObject {
  const stored = structuredClone(job);
  const spec = podOf(stored);
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) c.imagePullPolicy ||= apiserverPolicy(c.image ?? "");
  return stored as unknown as JsonObject;
}

/** agent-stack-k8s's imagecheck rules for one command container, from the step as written. */
function upstream(own: string, defaultPull: string, defaultCheck: string, digest: boolean): { check: string; container: string } {
  const fallback = defaultPull || (digest ? "IfNotPresent" : "Always");
  const nominal = own || defaultCheck || fallback;
  const policy = own || fallback;
  return { check: nominal, container: policy === "Always" && nominal === "Always" ? "IfNotPresent" : policy };
}

function stepJob(image: string, own: string): Job {
  const c: Container = { name: "app", image, command: ["make"], ...(own ? { imagePullPolicy: own } : {}) };
  return buildBareJob(
    { uuid: "0192a7f0-0fff-4000-8000-000000000fff", command: "", env: {}, priority: 0, agentQueryRules: [], plugin: { podSpec: { containers: [c] } }, pluginJson: "{}" },
    { namespace: "ci", jobPrefix: "buildkite-", controllerId: "", image: "ghcr.io/buildkite/agent:3.136.2" },
  );
}

const policiesOf = (job: Job) => ({ check: container(job, "imagecheck-0").imagePullPolicy, container: container(job, "app").imagePullPolicy });

describe("pull policies of dispatcher Jobs, after the apiserver's defaults", () => {
  for (const [kind, image] of Object.entries(IMAGES)) {
    for (const own of POLICIES) {
      it(`${kind} image, step policy ${JSON.stringify(own)}: every default-image-pull-policy × default-image-check-pull-policy as agent-stack-k8s`, () => {
        const stored = storedByApiserver(stepJob(image, own));
        for (const defaultPull of POLICIES) {
          for (const defaultCheck of POLICIES) {
            const cfg = config({ "default-image-pull-policy": defaultPull, "default-image-check-pull-policy": defaultCheck });
            const what = `default-image-pull-policy ${JSON.stringify(defaultPull)}, default-image-check-pull-policy ${JSON.stringify(defaultCheck)}`;
            expect(policiesOf(agentified(stored, cfg)), what).to.deep.equal(upstream(own, defaultPull, defaultCheck, kind === "digest"));
          }
        }
      });
    }
  }

  it("keeps a container's Always when image checks are skipped (no check pulls for it)", () => {
    const job = agentified(storedByApiserver(stepJob(IMAGES.tagged, "")), config({ "skip-image-check-containers": true }));
    expect(container(job, "app").imagePullPolicy).to.equal("Always");
    expect(podOf(job).initContainers?.map((c) => c.name)).to.deep.equal(["copy-agent"]);
  });

  it("applies a policy set by a podSpecPatch as the container's own", () => {
    const stored = storedByApiserver(stepJob(IMAGES.tagged, ""));
    const annotations = (stored["metadata"] as { annotations: Record<string, string> }).annotations;
    annotations["buildkite.com/kubernetes-plugin"] = JSON.stringify({ podSpecPatch: { containers: [{ name: "app", imagePullPolicy: "Never" }] } });
    expect(policiesOf(agentified(stored, config({ "default-image-check-pull-policy": "Always" })))).to.deep.equal({ check: "Never", container: "Never" });
  });

  it("refuses an annotation that is not an object of pull policies", () => {
    for (const bad of ["[", '["app"]', '{"app":"Sometimes"}']) {
      const outcome = tryAgentify(labelledJob({ annotations: { [ANNOTATION]: bad } }), config());
      expect(outcome, bad).to.deep.include({ result: "denied", reason: "invalid-annotation" });
      if (outcome.result === "denied") expect(outcome.message).to.contain(ANNOTATION);
    }
  });
});

describe("pull policies of Jobs from other tools (no annotation)", () => {
  const cfg = config({ "default-image-pull-policy": "IfNotPresent", "default-image-check-pull-policy": "Always" });

  it("keeps each container's policy as stored, the apiserver's default included", () => {
    const job = agentified(storedByApiserver(labelledJob({ containers: [{ name: "app", image: IMAGES.tagged, command: ["make"] }] }) as unknown as Job), cfg);
    expect(policiesOf(job)).to.deep.equal({ check: "IfNotPresent", container: "IfNotPresent" });
  });

  it("applies the config's defaults to a container with no policy at all (agentify render)", () => {
    const job = agentified(labelledJob({ containers: [{ name: "app", image: IMAGES.tagged, command: ["make"] }] }), cfg);
    expect(policiesOf(job)).to.deep.equal({ check: "Always", container: "IfNotPresent" });
  });

  it("behaves as a dispatcher Job once the tool lists the policies it set", () => {
    const job = labelledJob({ containers: [{ name: "app", image: IMAGES.tagged, command: ["make"] }], annotations: { [ANNOTATION]: "{}" } });
    expect(policiesOf(agentified(storedByApiserver(job as unknown as Job), cfg))).to.deep.equal({ check: "Always", container: "IfNotPresent" });
  });
});
