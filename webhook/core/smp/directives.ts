// The strategic merge patch directives and the clean-ups apimachinery applies to patch values it
// copies into the result without merging them.
import type { JsonObject, JsonValue } from "../json.ts";
import { isJsonObject } from "../json.ts";

export const PATCH = "$patch";
export const RETAIN_KEYS = "$retainKeys";
export const SET_ELEMENT_ORDER = "$setElementOrder";
export const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList";

/** A key naming a parallel-list directive (`$setElementOrder/<field>`, `$deleteFromPrimitiveList/<field>`). */
export function parallelListDirective(key: string): typeof SET_ELEMENT_ORDER | typeof DELETE_FROM_PRIMITIVE_LIST | undefined {
  // apimachinery matches the bare prefix and only then insists on "/<field>".
  if (key.startsWith(SET_ELEMENT_ORDER)) return SET_ELEMENT_ORDER;
  if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) return DELETE_FROM_PRIMITIVE_LIST;
  return undefined;
}

/** The field a parallel-list directive key refers to, or undefined when it is malformed. */
export function directiveField(key: string, prefix: string): string | undefined {
  const slash = key.indexOf("/");
  if (slash < 0 || key.slice(0, slash) !== prefix || slash === key.length - 1) return undefined;
  return key.slice(slash + 1);
}

/** Whether a list element is a `$patch` directive element rather than data. */
export function hasPatchDirective(value: JsonValue | undefined): value is JsonObject {
  return isJsonObject(value) && Object.hasOwn(value, PATCH);
}

/**
 * Drops every object carrying `$patch` (from objects and lists, recursively), as apimachinery does
 * before copying a patch value that has nothing to merge with. Other directive keys stay: it does
 * the same. Returns undefined when the value itself is such an object. Mutates `value`.
 */
export function removePatchDirectives(value: JsonValue): JsonValue | undefined {
  if (Array.isArray(value)) {
    const kept: JsonValue[] = [];
    for (const item of value) {
      const cleaned = removePatchDirectives(item);
      if (cleaned !== undefined) kept.push(cleaned);
    }
    return kept;
  }
  if (!isJsonObject(value)) return value;
  if (Object.hasOwn(value, PATCH)) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const cleaned = removePatchDirectives(item);
    if (cleaned === undefined) delete value[key];
    else value[key] = cleaned;
  }
  return value;
}

/** Removes null-valued object keys recursively (null list elements stay). Mutates `value`. */
export function discardNulls(value: JsonValue): void {
  if (Array.isArray(value)) {
    for (const item of value) discardNulls(item);
  } else if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (item === null) delete value[key];
      else discardNulls(item);
    }
  }
}
