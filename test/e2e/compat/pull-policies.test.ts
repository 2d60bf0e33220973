// Pull policies, round trip through the real apiserver, which gives every container a policy
// before the webhook sees the Job. For dispatcher Jobs, default-image-pull-policy and
// default-image-check-pull-policy must act as in agent-stack-k8s, which reads the step's own
// spec; for Jobs from other tools (no step-image-pull-policies annotation) the stored policies
// are the Job's own.
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import { bareJob } from "../webhook/helpers/jobs.ts";
import { containerOf, createStored, dispatcherJob, startStack } from "./stacks.ts";
import type { Stack } from "./stacks.ts";

const DIGEST = `golang@sha256:${"a".repeat(64)}`;
/** One step container per case: its image (each distinct, so each has its own check) and own policy. */
const STEP_CONTAINERS: Container[] = [
  { name: "tagged", image: "golang:1.23", command: ["make"] },
  { name: "untagged", image: "busybox", command: ["make"] },
  { name: "digest", image: DIGEST, command: ["make"] },
  { name: "own-never", image: "alpine:3.20", command: ["make"], imagePullPolicy: "Never" },
  { name: "own-always", image: "node:22", command: ["make"], imagePullPolicy: "Always" },
];

const CONFIGS = [
  { "default-image-pull-policy": "", "default-image-check-pull-policy": "" },
  { "default-image-pull-policy": "IfNotPresent", "default-image-check-pull-policy": "Always" },
  { "default-image-pull-policy": "", "default-image-check-pull-policy": "IfNotPresent" },
  { "default-image-pull-policy": "Always", "default-image-check-pull-policy": "Never" },
] as const;

/** agent-stack-k8s's imagecheck rules for one command container, from the step as written. */
function upstream(c: Container, config: (typeof CONFIGS)[number]): { check: string; container: string } {
  const own = c.imagePullPolicy ?? "";
  const fallback = config["default-image-pull-policy"] || (c.image?.includes("@sha256:") ? "IfNotPresent" : "Always");
  const nominal = own || config["default-image-check-pull-policy"] || fallback;
  const policy = own || fallback;
  return { check: nominal, container: policy === "Always" && nominal === "Always" ? "IfNotPresent" : policy };
}

/** Per container name: the pull policy of its image's check and its own, in the stored Job. */
function policies(job: Job): Record<string, { check: string | undefined; container: string | undefined }> {
  const checks = new Map((job.spec.template.spec.initContainers ?? []).filter((i) => i.name.startsWith("imagecheck-")).map((i) => [i.image, i.imagePullPolicy]));
  return Object.fromEntries(STEP_CONTAINERS.map((s) => [s.name, { check: checks.get(s.image), container: containerOf(job, s.name).imagePullPolicy }]));
}

describe("compat e2e: pull policies after the apiserver's defaults", () => {
  const stacks: Stack[] = [];

  before(async function () {
    this.timeout(180_000);
    for (const [i, config] of CONFIGS.entries()) stacks.push(await startStack(`pull-${i}`, config));
  });

  after(async () => {
    for (const stack of stacks) await stack.close();
  });

  CONFIGS.forEach((config, i) => {
    const what = `default-image-pull-policy ${JSON.stringify(config["default-image-pull-policy"])}, default-image-check-pull-policy ${JSON.stringify(config["default-image-check-pull-policy"])}`;

    it(`dispatcher Jobs pull as agent-stack-k8s's with ${what}`, async () => {
      const stack = stacks[i] as Stack;
      const podSpec = { containers: structuredClone(STEP_CONTAINERS) };
      const stored = await createStored(stack.api, dispatcherJob(stack.namespace, { uuid: randomUUID(), plugin: { podSpec }, pluginJson: JSON.stringify({ podSpec }) }));
      expect(policies(stored)).to.deep.equal(Object.fromEntries(STEP_CONTAINERS.map((c) => [c.name, upstream(c, config)])));
    });

    it(`Jobs from other tools keep their stored policies with ${what}`, async () => {
      const stack = stacks[i] as Stack;
      const stored = await createStored(stack.api, bareJob({ namespace: stack.namespace, containers: structuredClone(STEP_CONTAINERS) as unknown as JsonObject[] }));
      // The apiserver's default (Always for :latest or no tag, else IfNotPresent) counts as the Job's own.
      const apiserver = (c: Container) => c.imagePullPolicy ?? (c.image === "busybox" ? "Always" : "IfNotPresent");
      const expected = Object.fromEntries(STEP_CONTAINERS.map((c) => [c.name, upstream({ ...c, imagePullPolicy: apiserver(c) }, config)]));
      expect(policies(stored)).to.deep.equal(expected);
    });
  });
});
