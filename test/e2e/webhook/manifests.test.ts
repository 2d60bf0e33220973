// Item 1: `kubectl apply -k` of the project's manifests (through the test overlay) succeeds and
// every declared object exists in the cluster as declared.
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { installManifests } from "./helpers/manifests.ts";
import type { Installed } from "./helpers/manifests.ts";
import { subsetDiffs } from "./helpers/subset.ts";

const meta = (o: JsonObject): JsonObject => o["metadata"] as JsonObject;
const describeObject = (o: JsonObject): string =>
  `${String(o["kind"])} ${meta(o)["namespace"] ? `${String(meta(o)["namespace"])}/` : ""}${String(meta(o)["name"])}`;

describe("webhook e2e: kubectl apply -k of the manifests", () => {
  let installed: Installed;

  before(async function () {
    this.timeout(180_000);
    installed = await installManifests();
  });

  it("declares the expected set of objects", () => {
    const kinds = installed.declared.map(describeObject).sort();
    expect(kinds).to.include.members([
      "Namespace agentify-system",
      "Namespace buildkite",
      "MutatingWebhookConfiguration agentify",
      "ServiceAccount agentify-system/agentify-webhook",
      "Deployment agentify-system/agentify-webhook",
      "Service agentify-system/agentify-webhook",
      "ServiceAccount buildkite/agentify-dispatcher",
      "Role buildkite/agentify-dispatcher",
      "RoleBinding buildkite/agentify-dispatcher",
      "Deployment buildkite/agentify-dispatcher",
      "ConfigMap buildkite/agentify-config",
      "ConfigMap agentify-system/agentify-config",
    ]);
  });

  it("applied every declared object", () => {
    for (const o of installed.declared) {
      const line = new RegExp(`^${String(o["kind"]).toLowerCase()}(\\.[a-z0-9.]+)?/${String(meta(o)["name"])} (created|configured|unchanged)$`, "m");
      expect(installed.applyOutput, describeObject(o)).to.match(line);
    }
  });

  it("stores every object as declared", async () => {
    const { cluster } = installed.env;
    const res = await cluster.kubectl(["get", "-k", installed.overlayDir, "-o", "json"], { check: true });
    const live = (JSON.parse(res.stdout) as { items: JsonObject[] }).items;
    expect(live.map(describeObject)).to.deep.equal(installed.declared.map(describeObject));
    installed.declared.forEach((declared, i) => {
      expect(subsetDiffs(declared, live[i]), describeObject(declared)).to.deep.equal([]);
    });
  });

  it("points the webhook at the in-process server by url, without a service", async () => {
    const { api, webhook, caBundle } = installed.env;
    const mwc = await api.get("/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/agentify");
    const entry = (mwc["webhooks"] as JsonObject[])[0] as JsonObject;
    expect(entry["clientConfig"]).to.deep.equal({ url: webhook.mutateUrl, caBundle });
    expect(entry["failurePolicy"]).to.equal("Fail");
    expect(entry["sideEffects"]).to.equal("None");
    expect(entry["reinvocationPolicy"]).to.equal("IfNeeded");
  });

  it("is idempotent: a second apply changes no object", async () => {
    // Compared by resourceVersion, not by apply's output: kubectl always sends a patch for a
    // PodDisruptionBudget's selector (patchStrategy replace) and prints "configured" although
    // the apiserver stores nothing new.
    const { cluster } = installed.env;
    const versions = async (): Promise<string[]> => {
      const res = await cluster.kubectl(["get", "-k", installed.overlayDir, "-o", "json"], { check: true });
      return (JSON.parse(res.stdout) as { items: JsonObject[] }).items.map((o) => `${describeObject(o)}@${String(meta(o)["resourceVersion"])}`);
    };
    const before = await versions();
    await cluster.kubectl(["apply", "-k", installed.overlayDir], { check: true, timeoutMs: 120_000 });
    expect(await versions()).to.deep.equal(before);
  });
});
