// Merging of lists with patchStrategy "merge" (and of `$deleteFromPrimitiveList` lists), following
// apimachinery's mergeSlice: lists of objects merge element-wise by merge key, honouring
// `$patch: delete|replace` elements; lists of scalars are merged as sets.
import type { JsonObject, JsonValue } from "../json.ts";
import { isJsonObject } from "../json.ts";
import { PATCH, hasPatchDirective } from "./directives.ts";
import { PatchError, elementPath, jsonTypeName } from "./errors.ts";
import { normalizeOrder, partitionByPresence } from "./order.ts";

/** Merges one patch element into the original element with the same merge key. */
export type ElementMerger = (original: JsonObject, patch: JsonObject, path: string) => JsonObject;

/**
 * Whether the elements of the lists are objects or scalars. Like apimachinery, all elements must
 * share one JSON type; null elements and nested lists are refused. Undefined for no elements.
 */
export function elementKind(lists: readonly (readonly JsonValue[])[], path: string): "object" | "scalar" | undefined {
  let seen: string | undefined;
  for (const list of lists) {
    for (const [index, item] of list.entries()) {
      const type = jsonTypeName(item);
      if (type === "null") throw new PatchError(elementPath(path, index), "list elements must not be null");
      if (type === "list") throw new PatchError(elementPath(path, index), "lists of lists are not supported");
      if (seen !== undefined && seen !== type) {
        throw new PatchError(path, `list elements must all have one type, found ${seen} and ${type}`);
      }
      seen = type;
    }
  }
  if (seen === undefined) return undefined;
  return seen === "object" ? "object" : "scalar";
}

function sameKey(item: JsonValue, mergeKey: string, value: JsonValue): boolean {
  return isJsonObject(item) && Object.hasOwn(item, mergeKey) && item[mergeKey] === value;
}

function mergeKeyOf(item: JsonObject, mergeKey: string, path: string): JsonValue {
  if (!Object.hasOwn(item, mergeKey)) throw new PatchError(path, `list element has no merge key "${mergeKey}"`);
  return item[mergeKey] as JsonValue;
}

/**
 * Applies the `$patch` elements of a patch list: `delete` drops every original element with that
 * key, `replace` makes the patch's other elements the whole list. Returns the list to merge into
 * and the data elements left to merge.
 */
function applyDirectiveElements(
  original: JsonValue[], patch: readonly JsonObject[], mergeKey: string, path: string,
): { base: JsonValue[]; data: JsonObject[] } {
  let base = original;
  const data: JsonObject[] = [];
  let replace = false;
  for (const [index, item] of patch.entries()) {
    if (!hasPatchDirective(item)) {
      data.push(item);
      continue;
    }
    const directive = item[PATCH];
    const itemPath = elementPath(path, index);
    if (directive === "delete") {
      const key = mergeKeyOf(item, mergeKey, itemPath);
      base = base.filter((candidate) => !sameKey(candidate, mergeKey, key));
    } else if (directive === "replace") {
      replace = true; // keep scanning: later delete elements are still dropped from the patch
    } else if (directive === "merge") {
      throw new PatchError(itemPath, `$patch "merge" is not supported in list elements`);
    } else {
      throw new PatchError(itemPath, `unknown $patch directive ${JSON.stringify(directive)}`);
    }
  }
  return replace ? { base: data, data: [] } : { base, data };
}

/** Merges each data element into the original element with its key, appending the others. */
function mergeByKey(base: readonly JsonValue[], data: readonly JsonObject[], mergeKey: string, path: string, mergeElement: ElementMerger): JsonValue[] {
  const merged = [...base];
  data.forEach((item, index) => {
    const key = mergeKeyOf(item, mergeKey, elementPath(path, index));
    const at = merged.findIndex((candidate) => sameKey(candidate, mergeKey, key));
    // Appended elements are taken as they are (nulls and directives included), as apimachinery does.
    if (at < 0) merged.push(item);
    else merged[at] = mergeElement(merged[at] as JsonObject, item, elementPath(path, at, mergeKey, key));
  });
  return merged;
}

/**
 * Merges `patch` into `original` for a list with merge semantics. `deleteList` marks a
 * `$deleteFromPrimitiveList` list, whose scalars are removed from the original.
 */
export function mergeLists(
  original: JsonValue[], patch: JsonValue[], mergeKey: string, deleteList: boolean, path: string,
  mergeElement: ElementMerger,
): JsonValue[] {
  const kind = elementKind([original, patch], path);
  if (kind === undefined) return original;
  if (kind === "scalar") {
    if (deleteList) return original.filter((item) => !patch.includes(item));
    const merged = [...new Set([...original, ...patch])];
    const { named, serverOnly } = partitionByPresence(merged, patch, "", path);
    return normalizeOrder(named, serverOnly, patch, original, "", path);
  }
  if (mergeKey === "") throw new PatchError(path, "cannot merge a list of objects that has no merge key");
  const { base, data } = applyDirectiveElements(original, patch as JsonObject[], mergeKey, path);
  const merged = mergeByKey(base, data, mergeKey, path, mergeElement);
  const { named, serverOnly } = partitionByPresence(merged, data, mergeKey, path);
  return normalizeOrder(named, serverOnly, data, base, mergeKey, path);
}

/**
 * The original list as apimachinery's `$setElementOrder` code sees it after merging a list of
 * objects: Go removes `$patch: delete` elements by shifting the rest left inside the original
 * slice (leaving the tail slots as they were) and appends new elements into that same storage
 * while it has room, and the ordering step then reads the original slice, length unchanged. So
 * elements appended into freed slots count as "in the original" there. Only what lands in the
 * first `original.length` slots is visible, so the slice's capacity does not matter.
 */
export function originalAsSeenAfterMerge(original: readonly JsonValue[], patch: readonly JsonValue[], mergeKey: string): JsonValue[] {
  const view = [...original];
  let length = view.length;
  let replace = false;
  for (const item of patch) {
    if (!hasPatchDirective(item)) continue;
    if (item[PATCH] === "replace") replace = true;
    if (item[PATCH] !== "delete") continue;
    for (let at = matchIn(view, length, mergeKey, item[mergeKey] as JsonValue); at >= 0; at = matchIn(view, length, mergeKey, item[mergeKey] as JsonValue)) {
      view.copyWithin(at, at + 1, length);
      length--;
    }
  }
  if (replace) return view; // the merge then happens in a fresh slice
  const keys = view.slice(0, length).map((item) => (isJsonObject(item) ? item[mergeKey] : undefined));
  for (const item of patch) {
    if (hasPatchDirective(item) || !isJsonObject(item) || keys.includes(item[mergeKey])) continue;
    if (length < view.length) view[length] = item;
    length++;
    keys.push(item[mergeKey]);
  }
  return view;
}

function matchIn(list: readonly JsonValue[], length: number, mergeKey: string, value: JsonValue): number {
  return list.slice(0, length).findIndex((item) => sameKey(item, mergeKey, value));
}
