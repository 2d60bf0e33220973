// patchFor(original, target): RFC 6902 operations that turn `original` into `target`.
// Plain JSON in, plain JSON out: no typed round-trip can add spurious ops. Arrays are diffed by
// common prefix and suffix, so appending or inserting containers gives one `add` each, and the
// audit log stays readable (a naive index-wise diff would rewrite every shifted element).
// The ops' values are `target`'s own subtrees, not copies: the webhook serializes the patch at
// once, and copying every added value cost as much as the diff itself. Mutating `target`
// afterwards changes the patch.
import { isJsonObject, type JsonValue } from "./json.ts";

export type PatchOperation =
  | { op: "add"; path: string; value: JsonValue }
  | { op: "replace"; path: string; value: JsonValue }
  | { op: "remove"; path: string };

export function patchFor(original: JsonValue, target: JsonValue): PatchOperation[] {
  const ops: PatchOperation[] = [];
  diff("", original, target, ops);
  return ops;
}

/** RFC 6901 escaping of one reference token. */
function escapePointerToken(token: string): string {
  if (!token.includes("~") && !token.includes("/")) return token;
  return token.replace(/~/g, "~0").replace(/\//g, "~1");
}

function diff(path: string, a: JsonValue, b: JsonValue, ops: PatchOperation[]): void {
  if (a === b) return;
  if (Array.isArray(a) && Array.isArray(b)) return diffArrays(path, a, b, ops);
  if (isJsonObject(a) && isJsonObject(b)) {
    for (const key of Object.keys(a)) {
      if (!(key in b)) ops.push({ op: "remove", path: `${path}/${escapePointerToken(key)}` });
    }
    for (const key of Object.keys(b)) {
      const after = b[key] as JsonValue;
      if (!(key in a)) {
        ops.push({ op: "add", path: `${path}/${escapePointerToken(key)}`, value: after });
        continue;
      }
      const before = a[key] as JsonValue;
      // Most of a Job's leaves are unchanged: no path for them.
      if (before !== after) diff(`${path}/${escapePointerToken(key)}`, before, after, ops);
    }
    return;
  }
  if (!deepEqual(a, b)) ops.push({ op: "replace", path, value: b });
}

function diffArrays(path: string, a: JsonValue[], b: JsonValue[], ops: PatchOperation[]): void {
  const shorter = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < shorter && deepEqual(a[prefix] as JsonValue, b[prefix] as JsonValue)) prefix++;
  let suffix = 0;
  while (
    suffix < shorter - prefix &&
    deepEqual(a[a.length - 1 - suffix] as JsonValue, b[b.length - 1 - suffix] as JsonValue)
  ) suffix++;
  const oldMiddle = a.length - prefix - suffix;
  const newMiddle = b.length - prefix - suffix;
  const paired = Math.min(oldMiddle, newMiddle);
  for (let i = prefix; i < prefix + paired; i++) diff(`${path}/${i}`, a[i] as JsonValue, b[i] as JsonValue, ops);
  // Removals from the highest index down, so that each index is still valid when applied.
  for (let i = prefix + oldMiddle - 1; i >= prefix + paired; i--) ops.push({ op: "remove", path: `${path}/${i}` });
  for (let i = prefix + paired; i < prefix + newMiddle; i++) {
    ops.push({ op: "add", path: `${path}/${i}`, value: b[i] as JsonValue });
  }
}

export function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i] as JsonValue, b[i] as JsonValue)) return false;
    return true;
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    // Counted with for-in, not Object.keys: no key arrays for the thousands of env entries a Job may hold.
    let keys = 0;
    for (const key in a) {
      if (!(key in b) || !deepEqual(a[key] as JsonValue, b[key] as JsonValue)) return false;
      keys++;
    }
    for (const _ in b) keys--;
    return keys === 0;
  }
  return false;
}
