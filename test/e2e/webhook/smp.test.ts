// Item 5: our strategic merge patch against kube-apiserver's, case by case
// (test/unit/smp/cases.ts). The apiserver's side: create a PodTemplate holding the original
// spec, PATCH it (application/strategic-merge-patch+json). Ours: strategicMergePodSpec, then a
// dry-run create of a PodTemplate with the result, so both specs carry the apiserver's defaults.
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { strategicMergePodSpec } from "../../../webhook/core/smp/index.ts";
import { smpCases } from "../../unit/smp/cases.ts";
import { KubeApi, podTemplatesPath } from "../support/api.ts";
import { createNamespace, deleteNamespace } from "../support/namespaces.ts";
import { sharedCluster } from "../../cluster/harness.ts";
import { diffPaths } from "./helpers/subset.ts";

const podTemplate = (name: string, spec: JsonObject): JsonObject =>
  ({ apiVersion: "v1", kind: "PodTemplate", metadata: { name }, template: { metadata: { labels: { app: "smp" } }, spec } });
const templateSpec = (object: JsonObject): JsonObject => (object["template"] as JsonObject)["spec"] as JsonObject;

describe("webhook e2e: strategic merge patch matches kube-apiserver's", () => {
  let api: KubeApi;
  let ns: string;

  before(async function () {
    this.timeout(180_000);
    api = new KubeApi(await sharedCluster());
    ns = await createNamespace(api, "e2e-smp");
  });

  after(async () => {
    if (ns) await deleteNamespace(api, ns);
    api.close();
  });

  it("has at least 30 cases", () => {
    expect(smpCases.length).to.be.at.least(30);
  });

  smpCases.forEach((c, i) => {
    it(c.name, async () => {
      const name = `smp-${i}`;
      await api.create(podTemplatesPath(ns), podTemplate(name, c.original));
      const theirs = await api.ok("PATCH", `${podTemplatesPath(ns)}/${name}`, {
        body: { template: { spec: c.patch } },
        contentType: "application/strategic-merge-patch+json",
      });
      const ours = strategicMergePodSpec(structuredClone(c.original), structuredClone(c.patch));
      const oursDefaulted = await api.create(podTemplatesPath(ns), podTemplate(`${name}-ours`, ours), true);
      expect(diffPaths(templateSpec(oursDefaulted), templateSpec(theirs))).to.deep.equal([]);
    });
  });
});
