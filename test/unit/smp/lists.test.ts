// List rules of strategic merge patch on a PodSpec; every expectation was checked against
// apimachinery's strategicpatch (where Go's map order makes the result vary, both outcomes are).
import { expect } from "chai";
import type { JsonObject, JsonValue } from "../../../webhook/core/json.ts";
import { strategicMergePodSpec } from "../../../webhook/core/smp/index.ts";
import { deepFreeze } from "./helpers.ts";

interface Row { name: string; original: JsonObject; patch: JsonObject; expected: JsonObject }

const img = "busybox:1.36";
/** A spec whose only container "app" has the given fields. */
const app = (fields: JsonObject): JsonObject => ({ containers: [{ name: "app", image: img, ...fields }] });
const patchApp = (fields: JsonObject): JsonObject => ({ containers: [{ name: "app", ...fields }] });
const e = (name: string, value?: string): JsonObject => (value === undefined ? { name } : { name, value });
const del = (name: string): JsonObject => ({ name, $patch: "delete" });
/** A spec with an ephemeral volume whose claim template has `finalizers` (PodSpec's only merged scalar list). */
const fin = (finalizers: JsonValue, extra: JsonObject = {}): JsonObject => ({
  volumes: [{ name: "v", ephemeral: { volumeClaimTemplate: { metadata: { finalizers, ...extra } } } }],
});
const finPatch = (metadata: JsonObject): JsonObject => ({ volumes: [{ name: "v", ephemeral: { volumeClaimTemplate: { metadata } } }] });

function table(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      it(row.name, () => {
        expect(strategicMergePodSpec(deepFreeze(row.original), deepFreeze(row.patch))).to.deep.equal(row.expected);
      });
    }
  });
}

table("smp: lists merged by key", [
  { name: "new items go in front", original: app({ env: [e("A"), e("B")] }), patch: patchApp({ env: [e("C")] }), expected: app({ env: [e("C"), e("A"), e("B")] }) },
  { name: "several new items keep patch order", original: app({ env: [e("A"), e("B")] }), patch: patchApp({ env: [e("C"), e("D")] }), expected: app({ env: [e("C"), e("D"), e("A"), e("B")] }) },
  { name: "a new item follows the merged item before it", original: app({ env: [e("A"), e("B"), e("C")] }), patch: patchApp({ env: [e("B", "2"), e("N")] }), expected: app({ env: [e("A"), e("B", "2"), e("N"), e("C")] }) },
  { name: "patch order wins for the items it lists", original: app({ env: [e("A"), e("B"), e("C")] }), patch: patchApp({ env: [e("C", "3"), e("A", "1")] }), expected: app({ env: [e("B"), e("C", "3"), e("A", "1")] }) },
  { name: "a repeated key merges into the item added before", original: app({ env: [e("A")] }), patch: patchApp({ env: [e("N", "1"), { name: "N", valueFrom: { fieldRef: { fieldPath: "x" } } }] }), expected: app({ env: [{ name: "N", value: "1", valueFrom: { fieldRef: { fieldPath: "x" } } }, e("A")] }) },
  { name: "$patch delete removes every item with the key", original: app({ env: [e("A", "1"), e("B"), e("A", "2")] }), patch: patchApp({ env: [del("A")] }), expected: app({ env: [e("B")] }) },
  { name: "$patch delete of a missing key does nothing", original: app({ env: [e("A")] }), patch: patchApp({ env: [del("Z")] }), expected: app({ env: [e("A")] }) },
  { name: "delete and update in one patch", original: app({ env: [e("A"), e("B")] }), patch: patchApp({ env: [del("A"), e("B", "2")] }), expected: app({ env: [e("B", "2")] }) },
  { name: "$patch replace keeps only the patch's items", original: app({ env: [e("A"), e("B")] }), patch: patchApp({ env: [{ $patch: "replace" }, e("C")] }), expected: app({ env: [e("C")] }) },
  { name: "$patch replace ignores deletions", original: app({ env: [e("A"), e("B")] }), patch: patchApp({ env: [del("A"), { $patch: "replace" }, e("B", "2")] }), expected: app({ env: [e("B", "2")] }) },
  { name: "an empty patch list changes nothing", original: app({ env: [e("A")] }), patch: patchApp({ env: [] }), expected: app({ env: [e("A")] }) },
  { name: "numeric merge keys (ports by containerPort)", original: app({ ports: [{ containerPort: 80 }, { containerPort: 443 }] }), patch: patchApp({ ports: [{ containerPort: 80, name: "http" }] }), expected: app({ ports: [{ containerPort: 80, name: "http" }, { containerPort: 443 }] }) },
  {
    name: "an added item is copied as it is, nulls and directives included",
    original: app({}),
    patch: { containers: [{ name: "new", image: img, workingDir: null, env: [del("X")] }] },
    expected: { containers: [{ name: "new", image: img, workingDir: null, env: [del("X")] }, { name: "app", image: img }] },
  },
  {
    name: "a list the original lacks is copied without nulls and $patch items",
    original: app({}),
    patch: { initContainers: [{ name: "i", image: img, workingDir: null, env: [del("X"), { name: "Y", value: null }] }] },
    expected: { ...app({}), initContainers: [{ name: "i", image: img, env: [e("Y")] }] },
  },
]);

table("smp: lists without a merge strategy", [
  { name: "are replaced", original: app({ args: ["x", "y"] }), patch: patchApp({ args: ["z"] }), expected: app({ args: ["z"] }) },
  { name: "an empty patch list empties them", original: app({ args: ["x"] }), patch: patchApp({ args: [] }), expected: app({ args: [] }) },
  { name: "the patch list is taken as it is", original: { tolerations: [{ key: "a" }] }, patch: { tolerations: [{ key: "b", value: null }] }, expected: { tolerations: [{ key: "b", value: null }] } },
  { name: "$deleteFromPrimitiveList still removes every occurrence", original: app({ args: ["x", "y", "x"] }), patch: patchApp({ "$deleteFromPrimitiveList/args": ["x"] }), expected: app({ args: ["y"] }) },
  { name: "$deleteFromPrimitiveList: null deletes the field", original: app({ args: ["x"] }), patch: patchApp({ "$deleteFromPrimitiveList/args": null }), expected: app({}) },
  { name: "$deleteFromPrimitiveList of a missing field does nothing", original: app({}), patch: patchApp({ "$deleteFromPrimitiveList/args": ["x"] }), expected: app({}) },
]);

table("smp: merged lists of scalars (finalizers)", [
  { name: "new values go in front", original: fin(["a", "c"]), patch: finPatch({ finalizers: ["b"] }), expected: fin(["b", "a", "c"]) },
  { name: "values already there stay in place", original: fin(["a", "b"]), patch: finPatch({ finalizers: ["b", "c"] }), expected: fin(["a", "b", "c"]) },
  { name: "patch order wins for the values it lists", original: fin(["a", "b"]), patch: finPatch({ finalizers: ["c", "a"] }), expected: fin(["c", "a", "b"]) },
  { name: "duplicates collapse", original: fin(["a"]), patch: finPatch({ finalizers: ["b", "b", "a"] }), expected: fin(["b", "a"]) },
  { name: "$deleteFromPrimitiveList removes values", original: fin(["a", "b", "c"]), patch: finPatch({ "$deleteFromPrimitiveList/finalizers": ["b", "z"] }), expected: fin(["a", "c"]) },
  // Go applies the two keys in random order; we apply them in patch order (both results occur in Go).
  { name: "add then delete the same value: deleted", original: fin(["a", "b"]), patch: finPatch({ finalizers: ["b"], "$deleteFromPrimitiveList/finalizers": ["b"] }), expected: fin(["a"]) },
  { name: "delete then add the same value: added in front", original: fin(["a", "b"]), patch: finPatch({ "$deleteFromPrimitiveList/finalizers": ["b"], finalizers: ["b"] }), expected: fin(["b", "a"]) },
  { name: "$setElementOrder orders merged scalars", original: fin(["a", "b"]), patch: finPatch({ "$setElementOrder/finalizers": ["c", "b", "a"], finalizers: ["c"] }), expected: fin(["c", "b", "a"]) },
]);

table("smp: $setElementOrder", [
  { name: "reorders without a patch list", original: app({ env: [e("A"), e("B"), e("C")] }), patch: patchApp({ "$setElementOrder/env": [e("C"), e("A"), e("B")] }), expected: app({ env: [e("C"), e("A"), e("B")] }) },
  { name: "unlisted items keep their place relative to the original", original: app({ env: [e("A"), e("B"), e("C")] }), patch: patchApp({ "$setElementOrder/env": [e("C"), e("A")] }), expected: app({ env: [e("B"), e("C"), e("A")] }) },
  { name: "places new items where it lists them", original: app({ env: [e("A"), e("B")] }), patch: patchApp({ "$setElementOrder/env": [e("B"), e("N"), e("A")], env: [e("B", "2"), e("N")] }), expected: app({ env: [e("B", "2"), e("N"), e("A")] }) },
  { name: "orders a list without merge strategy", original: app({ args: ["x", "y"] }), patch: patchApp({ "$setElementOrder/args": ["y", "x"] }), expected: app({ args: ["y", "x"] }) },
  { name: "copies a list the original lacks without $patch items", original: app({}), patch: patchApp({ "$setElementOrder/env": [e("B"), e("C"), e("A")], env: [e("B"), e("A"), del("Z")] }), expected: app({ env: [e("B"), e("A")] }) },
  { name: "does nothing when neither side has the list", original: app({}), patch: patchApp({ "$setElementOrder/env": [e("A")] }), expected: app({}) },
  { name: "works with $patch replace", original: app({ env: [e("A"), e("B")] }), patch: patchApp({ "$setElementOrder/env": [e("C")], env: [{ $patch: "replace" }, e("C")] }), expected: app({ env: [e("C")] }) },
  {
    // Go deletes B by shifting inside the original slice, then appends N into the freed slot; the
    // ordering step reads that slice, so N counts as an original item after S.
    name: "with a deletion, new items take the freed slots of the original",
    original: app({ env: [e("A"), e("S"), e("B")] }),
    patch: patchApp({ "$setElementOrder/env": [e("A"), e("N")], env: [del("B"), e("N")] }),
    expected: app({ env: [e("A"), e("S"), e("N")] }),
  },
  {
    name: "with a deletion, items past the original length are new",
    original: app({ env: [e("A"), e("B")] }),
    patch: patchApp({ "$setElementOrder/env": [e("N"), e("M")], env: [del("B"), e("N"), e("M")] }),
    expected: app({ env: [e("A"), e("N"), e("M")] }),
  },
  // apimachinery fails here ("no elements in any of the given slices"); an empty list needs no order.
  { name: "leaves an empty list alone", original: app({ env: [] }), patch: patchApp({ "$setElementOrder/env": [] }), expected: app({ env: [] }) },
]);
