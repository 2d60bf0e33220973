// Object (struct and map) rules of strategic merge patch and the directives on objects. The PodSpec
// rows were checked against apimachinery's strategicpatch; the generic rows cover what it refuses
// (fields its Go types lack), where we merge generically instead.
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/json.ts";
import { strategicMerge, strategicMergePodSpec } from "../../../webhook/core/smp/index.ts";
import { atomicList, int, mapOf, str, struct } from "../../../webhook/core/smp/schema.ts";
import { deepFreeze } from "./helpers.ts";

interface Row { name: string; original: JsonObject; patch: JsonObject; expected: JsonObject }

function rows(run: (original: JsonObject, patch: JsonObject) => JsonObject, list: Row[]): void {
  for (const row of list) {
    it(row.name, () => {
      expect(run(deepFreeze(row.original), deepFreeze(row.patch))).to.deep.equal(row.expected);
    });
  }
}

describe("smp: objects in a PodSpec", () => {
  rows(strategicMergePodSpec, [
    { name: "null deletes a key", original: { nodeSelector: { a: "1", b: "2" } }, patch: { nodeSelector: { a: null } }, expected: { nodeSelector: { b: "2" } } },
    { name: "null for a missing key does nothing", original: { nodeSelector: { b: "2" } }, patch: { nodeSelector: { a: null } }, expected: { nodeSelector: { b: "2" } } },
    { name: "null for a missing field does nothing", original: {}, patch: { hostname: null, securityContext: null }, expected: {} },
    { name: "nested objects merge key by key", original: { securityContext: { runAsUser: 1, seLinuxOptions: { user: "u", role: "r" } } }, patch: { securityContext: { seLinuxOptions: { role: "x", level: "s0" } } }, expected: { securityContext: { runAsUser: 1, seLinuxOptions: { user: "u", role: "x", level: "s0" } } } },
    {
      name: "an object the original lacks is copied without nulls and $patch objects",
      original: {},
      patch: { securityContext: { runAsUser: 1, runAsGroup: null, seLinuxOptions: { $patch: "delete" }, sysctls: [{ name: "a", value: null }] } },
      expected: { securityContext: { runAsUser: 1, sysctls: [{ name: "a" }] } },
    },
    { name: "$patch delete empties an existing object", original: { securityContext: { runAsUser: 1 } }, patch: { securityContext: { $patch: "delete" } }, expected: { securityContext: {} } },
    { name: "$patch delete on a missing object adds nothing", original: {}, patch: { securityContext: { $patch: "delete" } }, expected: {} },
    { name: "$patch replace takes the object as it is, nulls included", original: { securityContext: { runAsGroup: 2 } }, patch: { securityContext: { $patch: "replace", runAsUser: 1, fsGroup: null } }, expected: { securityContext: { runAsUser: 1, fsGroup: null } } },
    { name: "$patch replace on a map", original: { nodeSelector: { a: "1" } }, patch: { nodeSelector: { $patch: "replace", b: "2" } }, expected: { nodeSelector: { b: "2" } } },
    { name: "$patch delete at the top empties the spec", original: { hostname: "h", nodeSelector: { a: "1" } }, patch: { $patch: "delete", hostname: "x" }, expected: {} },
    { name: "$patch replace at the top takes the patch", original: { hostname: "h", subdomain: "s" }, patch: { $patch: "replace", hostname: "x" }, expected: { hostname: "x" } },
    { name: "$retainKeys drops the fields it does not list", original: { securityContext: { runAsUser: 1, runAsGroup: 2 } }, patch: { securityContext: { $retainKeys: ["runAsUser", "fsGroup"], fsGroup: 3 } }, expected: { securityContext: { runAsUser: 1, fsGroup: 3 } } },
    { name: "$retainKeys lets nulls through unlisted", original: { securityContext: { runAsUser: 1, runAsGroup: 2, fsGroup: 3 } }, patch: { securityContext: { $retainKeys: ["runAsUser"], runAsGroup: null } }, expected: { securityContext: { runAsUser: 1 } } },
    { name: "$retainKeys on a list element", original: { volumes: [{ name: "v", hostPath: { path: "/x" } }] }, patch: { volumes: [{ name: "v", $retainKeys: ["name", "secret"], secret: { secretName: "s" } }] }, expected: { volumes: [{ name: "v", secret: { secretName: "s" } }] } },
    { name: "scalars are replaced, including by another scalar type", original: { hostname: "a", priority: 1 }, patch: { hostname: "b", priority: 2 }, expected: { hostname: "b", priority: 2 } },
    { name: "quantities may be numbers", original: { overhead: { cpu: "1" } }, patch: { overhead: { memory: 1024 } }, expected: { overhead: { cpu: "1", memory: 1024 } } },
  ]);
});

describe("smp: fields the schema does not know", () => {
  rows((original, patch) => strategicMerge(original, patch, undefined), [
    { name: "objects merge recursively", original: { foo: { a: 1, b: { c: 1 } } }, patch: { foo: { a: null, b: { d: 2 } } }, expected: { foo: { b: { c: 1, d: 2 } } } },
    { name: "lists are replaced", original: { foo: [{ name: "a" }, { name: "b" }] }, patch: { foo: [{ name: "b", x: 1 }] }, expected: { foo: [{ name: "b", x: 1 }] } },
    { name: "a value of another JSON type replaces, without nulls", original: { foo: "x" }, patch: { foo: { a: 1, b: null } }, expected: { foo: { a: 1 } } },
    { name: "$-keys that are no directive are plain fields", original: { $foo: 1 }, patch: { $foo: 2, $bar: { a: 1 } }, expected: { $foo: 2, $bar: { a: 1 } } },
    { name: "$setElementOrder orders scalars", original: { foo: ["a", "b", "c"] }, patch: { "$setElementOrder/foo": ["c", "a"] }, expected: { foo: ["b", "c", "a"] } },
  ]);
  rows(strategicMergePodSpec, [
    { name: "unknown PodSpec fields merge generically", original: { hostname: "h", x: { a: 1 } }, patch: { x: { b: 2 } }, expected: { hostname: "h", x: { a: 1, b: 2 } } },
    { name: "unknown container fields merge generically", original: { containers: [{ name: "c", x: [1] }] }, patch: { containers: [{ name: "c", x: [2] }] }, expected: { containers: [{ name: "c", x: [2] }] } },
  ]);
});

describe("smp: generic schemas", () => {
  const schema = struct("T", {
    labels: mapOf(str),
    settings: { ...struct("Settings", { a: int, b: int }), replace: true },
    hosts: atomicList(str),
  });
  rows((original, patch) => strategicMerge(original, patch, schema), [
    { name: "patchStrategy replace on an object replaces it whole", original: { settings: { a: 1, b: 2 } }, patch: { settings: { b: 3 } }, expected: { settings: { b: 3 } } },
    { name: "maps merge by key", original: { labels: { a: "1" } }, patch: { labels: { b: "2" } }, expected: { labels: { a: "1", b: "2" } } },
    { name: "atomic lists are replaced", original: { hosts: ["a"] }, patch: { hosts: ["b"] }, expected: { hosts: ["b"] } },
  ]);
});
