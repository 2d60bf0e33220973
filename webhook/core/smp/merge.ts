// Strategic merge patch of JSON objects, mirroring apimachinery's mergeMap (the code behind
// kube-apiserver's `application/strategic-merge-patch+json`), with one deliberate difference:
// fields the schema does not know merge generically (objects recursively, the rest replaced)
// instead of failing. The patch is validated against the schema first (validate.ts), so the
// checks here are about the original document.
import type { JsonObject, JsonValue } from "../json.ts";
import { cloneJson, isJsonObject } from "../json.ts";
import {
  DELETE_FROM_PRIMITIVE_LIST, PATCH, RETAIN_KEYS, SET_ELEMENT_ORDER, directiveField, discardNulls,
  parallelListDirective, removePatchDirectives,
} from "./directives.ts";
import { PatchError, fieldPath, jsonTypeName } from "./errors.ts";
import { elementKind, mergeLists, originalAsSeenAfterMerge } from "./lists.ts";
import type { ElementMerger } from "./lists.ts";
import { normalizeOrder, partitionByPresence } from "./order.ts";
import { asObjectSchema, childSchema, listMeta, replacesWhole } from "./schema.ts";
import type { FieldSchema, ObjectSchema } from "./schema.ts";
import { validatePatch } from "./validate.ts";

/**
 * Applies a strategic merge patch to `original` using `schema` for the patch strategies. Pure: both
 * inputs are left untouched. Throws PatchError (with the path) for an invalid patch. `path` names
 * the document in error messages (e.g. "spec").
 */
export function strategicMerge(original: JsonObject, patch: JsonObject, schema: ObjectSchema, path = ""): JsonObject {
  if (!isJsonObject(patch)) throw new PatchError(path, `expected an object patch, got ${jsonTypeName(patch)}`);
  if (!isJsonObject(original)) throw new PatchError(path, `expected an object to patch, got ${jsonTypeName(original)}`);
  validatePatch(patch, schema, path);
  // apimachinery merges in place; working on copies keeps this function pure.
  return mergeObject(cloneJson(original), cloneJson(patch), schema, path);
}

function elementMerger(items: FieldSchema | undefined): ElementMerger {
  return (original, patch, path) => mergeObject(original, patch, asObjectSchema(items), path);
}

/** Copies a patch value that has nothing to merge with: nulls and `$patch` objects are dropped. */
function setUnmerged(original: JsonObject, key: string, value: JsonValue): void {
  discardNulls(value);
  const cleaned = removePatchDirectives(value);
  if (cleaned === undefined) delete original[key];
  else original[key] = cleaned;
}

/** Merges two lists per the field's strategy; lists without one are replaced by the patch list as is. */
function mergeListField(original: JsonValue[], patch: JsonValue[], schema: FieldSchema | undefined, deleteList: boolean, path: string): JsonValue[] {
  const meta = listMeta(schema);
  if (meta.strategy !== "merge" && !deleteList) return patch;
  return mergeLists(original, patch, meta.mergeKey, deleteList, path, elementMerger(meta.items));
}

/** `$retainKeys`: drop every original field the list does not name (validate.ts checked the patch side). */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retained = patch[RETAIN_KEYS] as JsonValue[];
  delete patch[RETAIN_KEYS];
  for (const key of Object.keys(original)) if (!retained.includes(key)) delete original[key];
}

function listAt(object: JsonObject, key: string, path: string): JsonValue[] | undefined {
  if (!Object.hasOwn(object, key)) return undefined;
  const value = object[key] as JsonValue;
  if (!Array.isArray(value)) throw new PatchError(path, `$setElementOrder needs a list here, got ${jsonTypeName(value)}`);
  return value;
}

/**
 * `$setElementOrder/<field>`: merges the field's list now (so the main loop skips it), then orders
 * the items it names as it says and slots the other original items in around them.
 */
function applySetElementOrder(original: JsonObject, patch: JsonObject, schema: ObjectSchema, path: string): void {
  for (const key of Object.keys(patch)) {
    if (parallelListDirective(key) !== SET_ELEMENT_ORDER) continue;
    const order = patch[key] as JsonValue[];
    delete patch[key];
    const field = directiveField(key, SET_ELEMENT_ORDER) as string;
    const listPath = fieldPath(path, field);
    const originalList = listAt(original, field, listPath);
    const patchList = listAt(patch, field, listPath);
    const sub = childSchema(schema, field);
    let merged: JsonValue[];
    if (originalList === undefined && patchList === undefined) continue;
    if (patchList === undefined) merged = originalList as JsonValue[];
    else if (originalList === undefined) merged = removePatchDirectives(patchList) as JsonValue[];
    else merged = mergeListField(originalList, patchList, sub, false, listPath);
    delete patch[field];
    // apimachinery fails on an empty list here ("no elements"); an empty list needs no ordering.
    const kind = elementKind([originalList ?? [], patchList ?? []], listPath);
    if (kind === undefined) {
      original[field] = merged;
      continue;
    }
    const { mergeKey } = listMeta(sub);
    if (kind === "object" && mergeKey === "") {
      throw new PatchError(listPath, "$setElementOrder cannot order a list of objects without a merge key");
    }
    const { named, serverOnly } = partitionByPresence(merged, order, mergeKey, listPath);
    let serverOrder = originalList ?? [];
    if (patchList !== undefined && kind === "object" && listMeta(sub).strategy === "merge") {
      serverOrder = originalAsSeenAfterMerge(serverOrder, patchList, mergeKey);
    }
    original[field] = normalizeOrder(named, serverOnly, order, serverOrder, mergeKey, listPath);
  }
}

function sameJsonType(a: JsonValue, b: JsonValue): boolean {
  return jsonTypeName(a) === jsonTypeName(b);
}

/** apimachinery's mergeMap. Mutates and returns `original`; consumes `patch`. */
function mergeObject(original: JsonObject, patch: JsonObject, schema: ObjectSchema, path: string): JsonObject {
  if (Object.hasOwn(patch, PATCH)) {
    // Validated: "replace" or "delete". Replace takes the patch as is; delete leaves an empty object.
    if (patch[PATCH] === "delete") return {};
    delete patch[PATCH];
    return patch;
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, schema, path);
  // Keys apply in patch order. (Go iterates a map, so when one patch both adds and
  // `$deleteFromPrimitiveList`s the same scalar its result varies; here the later key wins.)
  for (const [patchKey, value] of Object.entries(patch)) {
    const deleteList = parallelListDirective(patchKey) === DELETE_FROM_PRIMITIVE_LIST;
    const key = deleteList ? (directiveField(patchKey, DELETE_FROM_PRIMITIVE_LIST) as string) : patchKey;
    if (value === null) {
      delete original[key];
      continue;
    }
    if (!Object.hasOwn(original, key) || !sameJsonType(original[key] as JsonValue, value)) {
      if (!deleteList) setUnmerged(original, key, value);
      continue;
    }
    const current = original[key] as JsonValue;
    const sub = childSchema(schema, key);
    const subPath = fieldPath(path, key);
    if (isJsonObject(current) && isJsonObject(value)) {
      original[key] = replacesWhole(sub) ? value : mergeObject(current, value, asObjectSchema(sub), subPath);
    } else if (Array.isArray(current) && Array.isArray(value)) {
      original[key] = mergeListField(current, value, sub, deleteList, subPath);
    } else {
      original[key] = value;
    }
  }
  return original;
}
