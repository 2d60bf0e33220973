// "Exists as declared": every field of the declared object is in the live one with the same
// value; the live object may have more (defaults, status, server metadata). Lists must have
// the same length and match element by element.
import type { JsonValue } from "../../../../webhook/core/index.ts";

/** The paths where `live` does not contain `declared`, with what was found; [] if it does. */
export function subsetDiffs(declared: JsonValue | undefined, live: JsonValue | undefined, path = ""): string[] {
  if (declared === null || typeof declared !== "object") {
    return declared === live ? [] : [`${path || "/"}: declared ${JSON.stringify(declared)}, live ${JSON.stringify(live)}`];
  }
  if (Array.isArray(declared)) {
    if (!Array.isArray(live)) return [`${path}: declared a list, live ${JSON.stringify(live)}`];
    if (live.length !== declared.length) return [`${path}: declared ${declared.length} items, live ${live.length}`];
    return declared.flatMap((item, i) => subsetDiffs(item, live[i], `${path}/${i}`));
  }
  if (live === null || typeof live !== "object" || Array.isArray(live)) return [`${path}: declared an object, live ${JSON.stringify(live)}`];
  return Object.entries(declared).flatMap(([key, value]) => subsetDiffs(value, live[key], `${path}/${key}`));
}

/** Every path where `a` and `b` differ, as "path: a, b" (for readable assertion failures). */
export function diffPaths(a: JsonValue | undefined, b: JsonValue | undefined, path = ""): string[] {
  const isObject = (v: JsonValue | undefined): v is { [k: string]: JsonValue } => v !== null && typeof v === "object" && !Array.isArray(v);
  if (Array.isArray(a) && Array.isArray(b)) {
    return Array.from({ length: Math.max(a.length, b.length) }, (_, i) => diffPaths(a[i], b[i], `${path}/${i}`)).flat();
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => diffPaths(a[k], b[k], `${path}/${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`${path || "/"}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`];
}
