// Config that reaches every agent, through the real apiserver: relative JWKS files become
// absolute paths in volumes mounted where the apiserver accepts them, and a Job without agent
// query rules (from another tool) carries the stack's queue and tags.
import { expect } from "chai";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import { bareJob } from "../webhook/helpers/jobs.ts";
import { containerOf, createStored, startStack } from "./stacks.ts";
import type { Stack } from "./stacks.ts";

const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;
const mountsOf = (c: Container, volume: string) => (c.volumeMounts ?? []).filter((m) => m.name === volume).map((m) => m.mountPath);
const tagLabels = (job: Job) => Object.fromEntries(Object.entries(job.metadata.labels ?? {}).filter(([k]) => k.startsWith("tag.buildkite.com/")));

describe("compat e2e: stack config in the stored Job", () => {
  let jwks: Stack;
  let queued: Stack;
  let defaultQueue: Stack;

  before(async function () {
    this.timeout(180_000);
    jwks = await startStack("jwks", {
      "agent-config": {
        "signing-jwks-file": "signing.json",
        signingJWKSVolume: { name: "signing-jwks", secret: { secretName: "signing" } },
        "verification-jwks-file": "keys/verify.json",
        verificationJWKSVolume: { name: "verification-jwks", secret: { secretName: "verification", items: [{ key: "v", path: "keys/verify.json" }] } },
      },
    });
    queued = await startStack("queue", { queue: "build", tags: ["os=linux", "arch=amd64"] });
    defaultQueue = await startStack("default-queue", { queue: "_default", tags: ["os=linux"] });
  });

  after(async () => {
    for (const stack of [jwks, queued, defaultQueue]) await stack?.close();
  });

  it("resolves relative JWKS files inside their volumes, at the default mount directories", async () => {
    const stored = await createStored(jwks.api, bareJob({ namespace: jwks.namespace }));
    const agent = containerOf(stored, "agent");
    expect(envOf(agent, "BUILDKITE_AGENT_SIGNING_JWKS_FILE")).to.equal("/buildkite/signing-jwks/signing.json");
    expect(envOf(agent, "BUILDKITE_AGENT_VERIFICATION_JWKS_FILE")).to.equal("/buildkite/verification-jwks/keys/verify.json");
    expect(mountsOf(agent, "signing-jwks")).to.deep.equal(["/buildkite/signing-jwks"]);
    expect(mountsOf(agent, "verification-jwks")).to.deep.equal(["/buildkite/verification-jwks"]);
    expect(mountsOf(containerOf(stored, "build"), "signing-jwks")).to.deep.equal(["/buildkite/signing-jwks"]);
  });

  it("gives a Job without agent query rules the configured queue and tags", async () => {
    const stored = await createStored(queued.api, bareJob({ namespace: queued.namespace }));
    expect(envOf(containerOf(stored, "agent"), "BUILDKITE_AGENT_TAGS")).to.equal("queue=build,os=linux,arch=amd64");
    expect(tagLabels(stored)).to.deep.equal({ "tag.buildkite.com/queue": "build", "tag.buildkite.com/os": "linux", "tag.buildkite.com/arch": "amd64" });
  });

  it("gives no queue tag on the cluster's default queue, however it is spelt", async () => {
    const stored = await createStored(defaultQueue.api, bareJob({ namespace: defaultQueue.namespace }));
    expect(envOf(containerOf(stored, "agent"), "BUILDKITE_AGENT_TAGS")).to.equal("os=linux");
  });
});
