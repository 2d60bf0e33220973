// Strategic merge patch (kube-apiserver's `application/strategic-merge-patch+json`) for PodSpecs.
import type { JsonObject } from "../json.ts";
import { strategicMerge } from "./merge.ts";
import { podSpecSchema } from "./podspec-schema.ts";

export { PatchError } from "./errors.ts";
export { strategicMerge } from "./merge.ts";
export { podSpecSchema } from "./podspec-schema.ts";
export {
  anyJson, atomicList, bool, int, intOrStr, mapOf, mergeList, qty, setList, str, strList, struct,
} from "./schema.ts";
export type {
  AnySchema, FieldSchema, ListSchema, MapSchema, ObjectSchema, ScalarKind, ScalarSchema, StructSchema,
} from "./schema.ts";

/**
 * Applies a strategic merge patch to a core/v1 PodSpec, as kube-apiserver would to a pod
 * template's spec. Pure; throws PatchError (paths start at "spec") for an invalid patch.
 */
export function strategicMergePodSpec(original: JsonObject, patch: JsonObject): JsonObject {
  return strategicMerge(original, patch, podSpecSchema, "spec");
}
