// Invalid patches: each fails with a PatchError whose message (and path) is checked byte for byte.
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/json.ts";
import { PatchError, strategicMerge, strategicMergePodSpec } from "../../../webhook/core/smp/index.ts";
import { deepFreeze } from "./helpers.ts";

const app: JsonObject = { containers: [{ name: "app", image: "busybox:1.36", env: [{ name: "A" }] }] };

function failure(run: () => unknown): PatchError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(PatchError);
    return error as PatchError;
  }
  throw new Error("expected a PatchError");
}

interface Row { patch: JsonObject; original?: JsonObject; path: string; message: string }

const rows: Row[] = [
  // JSON types against the schema
  { patch: { containers: "x" }, path: "spec.containers", message: "spec.containers: expected a list, got string" },
  { patch: { containers: ["x"] }, path: "spec.containers[0]", message: "spec.containers[0]: expected an object, got string" },
  { patch: { containers: [{ name: "app", image: 5 }] }, path: "spec.containers[name=app].image", message: "spec.containers[name=app].image: expected a string, got number" },
  { patch: { securityContext: { runAsUser: 1.5 } }, path: "spec.securityContext.runAsUser", message: "spec.securityContext.runAsUser: expected an integer, got number" },
  { patch: { hostNetwork: "true" }, path: "spec.hostNetwork", message: "spec.hostNetwork: expected a boolean, got string" },
  { patch: { containers: [{ name: "app", resources: { limits: { cpu: true } } }] }, path: "spec.containers[name=app].resources.limits.cpu", message: "spec.containers[name=app].resources.limits.cpu: expected a quantity (string or number), got boolean" },
  { patch: { containers: [{ name: "app", livenessProbe: { httpGet: { port: 80.5 } } }] }, path: "spec.containers[name=app].livenessProbe.httpGet.port", message: "spec.containers[name=app].livenessProbe.httpGet.port: expected an integer or a string, got number" },
  { patch: { nodeSelector: ["a"] }, path: "spec.nodeSelector", message: "spec.nodeSelector: expected an object, got list" },
  { patch: { nodeSelector: { a: 1 } }, path: "spec.nodeSelector.a", message: "spec.nodeSelector.a: expected a string, got number" },
  { patch: { containers: [{ name: "app", args: ["a", null] }] }, path: "spec.containers[name=app].args[1]", message: "spec.containers[name=app].args[1]: list elements must not be null" },
  // merge keys
  { patch: { containers: [{ image: "x" }] }, path: "spec.containers[0]", message: 'spec.containers[0]: list element has no merge key "name"' },
  { patch: { containers: [{ name: null }] }, path: "spec.containers[0]", message: 'spec.containers[0]: list element has no merge key "name"' },
  { patch: { containers: [{ name: ["a"] }] }, path: "spec.containers[0]", message: 'spec.containers[0]: merge key "name" must be a scalar, got list' },
  { patch: { containers: [{ name: "app", env: [{ value: "1" }] }] }, path: "spec.containers[name=app].env[0]", message: 'spec.containers[name=app].env[0]: list element has no merge key "name"' },
  { patch: { containers: [{ name: "app", ports: [{ containerPort: "80" }] }] }, path: "spec.containers[name=app].ports[containerPort=80].containerPort", message: "spec.containers[name=app].ports[containerPort=80].containerPort: expected an integer, got string" },
  // $patch
  { patch: { securityContext: { $patch: "merge" } }, path: "spec.securityContext", message: 'spec.securityContext: unknown $patch directive "merge" (expected "replace" or "delete")' },
  { patch: { $patch: 1 }, path: "spec", message: 'spec: unknown $patch directive 1 (expected "replace" or "delete")' },
  { patch: { containers: [{ $patch: "merge" }] }, path: "spec.containers[0]", message: 'spec.containers[0]: $patch "merge" is not supported in list elements' },
  { patch: { containers: [{ name: "app", $patch: "remove" }] }, path: "spec.containers[0]", message: 'spec.containers[0]: unknown $patch directive "remove" (expected "replace" or "delete")' },
  { patch: { containers: [{ $patch: "delete" }] }, path: "spec.containers[0]", message: 'spec.containers[0]: list element has no merge key "name"' },
  { patch: { tolerations: [{ key: "a", $patch: "delete" }] }, path: "spec.tolerations[0]", message: "spec.tolerations[0]: $patch is not allowed in a list without a merge key (the list is replaced whole)" },
  // $retainKeys
  { patch: { securityContext: { $retainKeys: "runAsUser" } }, path: "spec.securityContext.$retainKeys", message: "spec.securityContext.$retainKeys: expected a list of field names" },
  { patch: { volumes: [{ name: "v", $retainKeys: ["name"], emptyDir: {} }] }, path: "spec.volumes[name=v].emptyDir", message: "spec.volumes[name=v].emptyDir: field is set by the patch but missing from $retainKeys" },
  // $setElementOrder
  { patch: { $setElementOrder: [] }, path: "spec.$setElementOrder", message: 'spec.$setElementOrder: malformed directive, expected "$setElementOrder/<field>"' },
  { patch: { "$setElementOrder/containers": { name: "a" } }, path: "spec.$setElementOrder/containers", message: "spec.$setElementOrder/containers: expected a list, got object" },
  { patch: { "$setElementOrder/foo": [] }, path: "spec.$setElementOrder/foo", message: 'spec.$setElementOrder/foo: PodSpec has no field "foo"' },
  { patch: { "$setElementOrder/securityContext": [] }, path: "spec.$setElementOrder/securityContext", message: 'spec.$setElementOrder/securityContext: "securityContext" is not a list' },
  { patch: { "$setElementOrder/tolerations": [] }, path: "spec.$setElementOrder/tolerations", message: 'spec.$setElementOrder/tolerations: cannot order "tolerations": its elements are objects without a merge key' },
  { patch: { "$setElementOrder/containers": [{ image: "x" }] }, path: "spec.$setElementOrder/containers[0]", message: 'spec.$setElementOrder/containers[0]: list element has no merge key "name"' },
  { patch: { nodeSelector: { "$setElementOrder/a": [] } }, path: "spec.nodeSelector.$setElementOrder/a", message: "spec.nodeSelector.$setElementOrder/a: $setElementOrder is not valid in a map" },
  { patch: { "$setElementOrder/containers": [{ name: "a" }], containers: null }, path: "spec.containers", message: "spec.containers: expected a list (it has $setElementOrder), got null" },
  {
    patch: { "$setElementOrder/containers": [{ name: "a" }, { name: "b" }], containers: [{ name: "b" }, { name: "a" }] },
    path: "spec.containers",
    message: "spec.containers: items are not in the order given by $setElementOrder/containers, or are missing from it",
  },
  // $deleteFromPrimitiveList
  { patch: { "$deleteFromPrimitiveList/containers": ["a"] }, path: "spec.$deleteFromPrimitiveList/containers", message: 'spec.$deleteFromPrimitiveList/containers: "containers" is not a list of primitives' },
  { patch: { containers: [{ name: "app", "$deleteFromPrimitiveList/args": [{}] }] }, path: "spec.containers[name=app].$deleteFromPrimitiveList/args[0]", message: "spec.containers[name=app].$deleteFromPrimitiveList/args[0]: expected a primitive value, got object" },
  { patch: { containers: [{ name: "app", "$deleteFromPrimitiveList/args": "a" }] }, path: "spec.containers[name=app].$deleteFromPrimitiveList/args", message: "spec.containers[name=app].$deleteFromPrimitiveList/args: expected a list, got string" },
  // problems that only show against the original
  { original: { containers: [{ image: "x" }] }, patch: { containers: [{ name: "a" }] }, path: "spec.containers[0]", message: 'spec.containers[0]: list element has no merge key "name"' },
  { original: { containers: [{ name: "app", env: ["A=1"] }] }, patch: app, path: "spec.containers[name=app].env", message: "spec.containers[name=app].env: list elements must all have one type, found string and object" },
  { original: { containers: "x" }, patch: { "$setElementOrder/containers": [{ name: "a" }] }, path: "spec.containers", message: "spec.containers: $setElementOrder needs a list here, got string" },
  { original: { x: ["a"] }, patch: { "$setElementOrder/x": [{ name: "a" }] }, path: "spec.$setElementOrder/x", message: 'spec.$setElementOrder/x: PodSpec has no field "x"' },
];

describe("smp: invalid patches", () => {
  for (const row of rows) {
    it(row.message, () => {
      const error = failure(() => strategicMergePodSpec(deepFreeze(row.original ?? app), deepFreeze(row.patch)));
      expect(error.message).to.equal(row.message);
      expect(error.path).to.equal(row.path);
      expect(error.name).to.equal("PatchError");
    });
  }

  it("refuses a patch that is not an object", () => {
    const error = failure(() => strategicMergePodSpec(app, ["x"] as unknown as JsonObject));
    expect(error.message).to.equal("spec: expected an object patch, got list");
  });

  it("paths start at the document root in the generic entry point", () => {
    expect(failure(() => strategicMerge({}, { $patch: "x" }, undefined)).message).to.equal('unknown $patch directive "x" (expected "replace" or "delete")');
    expect(failure(() => strategicMerge({ a: ["x"] }, { "$setElementOrder/a": [{ k: 1 }] }, undefined)).message)
      .to.equal('$setElementOrder/a: cannot order "a": its elements are objects without a merge key');
  });
});
