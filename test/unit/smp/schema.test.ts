// The PodSpec schema table against the patch tags of k8s.io/api core/v1 (v1.36): every list that
// merges, by which key, and a sample of lists that must not merge.
import { expect } from "chai";
import { podSpecSchema } from "../../../webhook/core/smp/index.ts";
import type { FieldSchema } from "../../../webhook/core/smp/index.ts";

/** "path key" for every merging list under `schema` (list elements add no path segment). */
function mergeLists(schema: FieldSchema, path: string, into: string[] = []): string[] {
  if (schema.kind === "list") {
    if (schema.strategy === "merge") into.push(`${path} ${schema.mergeKey}`);
    mergeLists(schema.items, path, into);
  } else if (schema.kind === "map") {
    mergeLists(schema.values, path, into);
  } else if (schema.kind === "struct") {
    for (const [key, field] of Object.entries(schema.fields)) mergeLists(field, `${path}.${key}`, into);
  }
  return into;
}

function at(path: string): FieldSchema {
  let node: FieldSchema = podSpecSchema;
  for (const key of path.split(".").slice(1)) {
    while (node.kind === "list") node = node.items;
    if (node.kind !== "struct") throw new Error(`${path}: ${key} is below a ${node.kind}`);
    const next: FieldSchema | undefined = node.fields[key];
    if (next === undefined) throw new Error(`${path}: no field ${key}`);
    node = next;
  }
  return node;
}

describe("smp: PodSpec schema", () => {
  it("merges exactly the lists core/v1 tags with patchStrategy merge, by their patchMergeKey", () => {
    const containerLists = (c: string) => [`${c} name`, `${c}.ports containerPort`, `${c}.env name`, `${c}.volumeMounts mountPath`, `${c}.volumeDevices devicePath`];
    expect(mergeLists(podSpecSchema, "spec").sort()).to.deep.equal([
      "spec.volumes name",
      "spec.volumes.ephemeral.volumeClaimTemplate.metadata.ownerReferences uid",
      "spec.volumes.ephemeral.volumeClaimTemplate.metadata.finalizers ",
      ...containerLists("spec.initContainers"),
      ...containerLists("spec.containers"),
      ...containerLists("spec.ephemeralContainers"),
      "spec.imagePullSecrets name",
      "spec.hostAliases ip",
      "spec.topologySpreadConstraints topologyKey",
      "spec.schedulingGates name",
      "spec.resourceClaims name",
    ].sort());
  });

  for (const path of [
    "spec.tolerations", "spec.readinessGates", "spec.containers.envFrom", "spec.containers.resizePolicy",
    "spec.containers.resources.claims", "spec.containers.args", "spec.containers.securityContext.capabilities.add",
    "spec.securityContext.sysctls", "spec.dnsConfig.options", "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
    "spec.volumes.projected.sources",
  ]) {
    it(`${path} is atomic`, () => {
      const node = at(path);
      expect(node.kind === "list" && node.strategy).to.equal("atomic");
    });
  }

  it("knows maps and scalar kinds", () => {
    expect(at("spec.nodeSelector")).to.deep.equal({ kind: "map", values: { kind: "string" } });
    expect(at("spec.containers.resources.limits")).to.deep.equal({ kind: "map", values: { kind: "quantity" } });
    expect(at("spec.containers.livenessProbe.httpGet.port")).to.deep.equal({ kind: "intOrString" });
    expect(at("spec.ephemeralContainers.targetContainerName")).to.deep.equal({ kind: "string" });
  });
});
