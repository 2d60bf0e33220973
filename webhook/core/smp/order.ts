// Element order of merged lists, as apimachinery computes it: items named by the patch (or by
// $setElementOrder) keep the patch's relative order, the other ("server-only") items keep the
// original's, and the two runs are interleaved by original position. A patch item the original
// lacks is emitted as soon as its turn comes in the patch order, before any server-only item that
// has not been placed yet; so new items added by a patch end up *in front of* the original items.
import type { JsonValue } from "../json.ts";
import { isJsonObject } from "../json.ts";
import { PATCH } from "./directives.ts";
import { PatchError, elementPath } from "./errors.ts";

/** What identifies a list item: its merge-key value for lists of objects, else the item itself. */
function identity(item: JsonValue, mergeKey: string): JsonValue {
  if (mergeKey === "") return item;
  // Go reads a missing key as nil, so items without one all look alike; kept for fidelity.
  return isJsonObject(item) && Object.hasOwn(item, mergeKey) ? (item[mergeKey] ?? null) : null;
}

function indexIn(list: readonly JsonValue[], item: JsonValue, mergeKey: string): number {
  const id = identity(item, mergeKey);
  return list.findIndex((candidate) => identity(candidate, mergeKey) === id);
}

/** Throws unless every item is an object carrying the merge key. */
export function requireMergeKeys(items: readonly JsonValue[], mergeKey: string, path: string): void {
  items.forEach((item, index) => {
    if (!isJsonObject(item)) throw new PatchError(elementPath(path, index), "expected an object in a list merged by key");
    if (!Object.hasOwn(item, mergeKey)) {
      throw new PatchError(elementPath(path, index), `list element has no merge key "${mergeKey}"`);
    }
  });
}

/** Whether `by` holds an item with the same identity. */
function presentIn(by: readonly JsonValue[], item: JsonValue, mergeKey: string): boolean {
  if (mergeKey === "") return by.includes(item);
  const value = identity(item, mergeKey);
  return by.some((candidate) => isJsonObject(candidate) && Object.hasOwn(candidate, mergeKey) && candidate[mergeKey] === value);
}

/** Splits merged items into those named in `by` and the rest, each keeping its merged order. */
export function partitionByPresence(
  merged: readonly JsonValue[], by: readonly JsonValue[], mergeKey: string, path: string,
): { named: JsonValue[]; serverOnly: JsonValue[] } {
  if (mergeKey !== "") requireMergeKeys(merged, mergeKey, path);
  const named: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const item of merged) (presentIn(by, item, mergeKey) ? named : serverOnly).push(item);
  return { named, serverOnly };
}

/** Stable sort of `items` by position in `order`; `$patch: delete` items go last, as in apimachinery. */
function sortByOrder(items: readonly JsonValue[], order: readonly JsonValue[], mergeKey: string, path: string): JsonValue[] {
  let kept = [...items];
  let deletions: JsonValue[] = [];
  if (mergeKey !== "") {
    requireMergeKeys(items, mergeKey, path);
    requireMergeKeys(order, mergeKey, path);
    deletions = kept.filter((item) => isJsonObject(item) && item[PATCH] === "delete");
    kept = kept.filter((item) => !deletions.includes(item));
  }
  const rank = (item: JsonValue) => indexIn(order, item, mergeKey);
  // Items missing from `order` keep their place (the callers never produce any).
  kept.sort((a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    return ra >= 0 && rb >= 0 ? ra - rb : 0;
  });
  return [...kept, ...deletions];
}

/**
 * The final order of a merged list. `named` are the items the patch (or $setElementOrder) names,
 * sorted by `namedOrder`; `serverOnly` the rest, sorted by `serverOrder` (the original list).
 */
export function normalizeOrder(
  named: readonly JsonValue[], serverOnly: readonly JsonValue[], namedOrder: readonly JsonValue[],
  serverOrder: readonly JsonValue[], mergeKey: string, path: string,
): JsonValue[] {
  const right = sortByOrder(named, namedOrder, mergeKey, path);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, path);
  const result: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      result.push(left[i++] as JsonValue);
    } else if (i >= left.length) {
      result.push(right[j++] as JsonValue);
    } else {
      // A server-only item goes first only when both are in the original and it came earlier there.
      const li = indexIn(serverOrder, left[i] as JsonValue, mergeKey);
      const ri = indexIn(serverOrder, right[j] as JsonValue, mergeKey);
      result.push(li >= 0 && ri >= 0 && li < ri ? (left[i++] as JsonValue) : (right[j++] as JsonValue));
    }
  }
  return result;
}
