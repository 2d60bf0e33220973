// A test helper for generated Jobs: write a value at a JSON path, whatever is on the way.
import type { JsonObject, JsonValue } from "../../../webhook/core/index.ts";

/**
 * `value` at `path` (the root itself for []), creating objects (or arrays, before a number) on the
 * way and replacing a non-object there. Returns the new root.
 */
export function setAt(root: JsonObject, path: readonly (string | number)[], value: JsonValue): JsonValue {
  if (path.length === 0) return value;
  let node: JsonValue = root;
  path.forEach((key, i) => {
    if (typeof node !== "object" || node === null) return;
    const container = node as Record<string | number, JsonValue>;
    if (i === path.length - 1) container[key] = value;
    else {
      if (typeof container[key] !== "object" || container[key] === null) container[key] = typeof path[i + 1] === "number" ? [] : {};
      node = container[key] as JsonValue;
    }
  });
  return root;
}
