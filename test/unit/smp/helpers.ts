// Test helpers: frozen inputs make any mutation by the code under test throw.
import type { JsonValue } from "../../../webhook/core/json.ts";
import { isJsonObject } from "../../../webhook/core/json.ts";

export function deepFreeze<T extends JsonValue>(value: T): T {
  if (Array.isArray(value)) value.forEach(deepFreeze);
  else if (isJsonObject(value)) Object.values(value).forEach(deepFreeze);
  return Object.freeze(value);
}

/** Every object and array inside a JSON value (itself included). */
export function containers(value: JsonValue, into = new Set<object>()): Set<object> {
  if (Array.isArray(value)) {
    into.add(value);
    value.forEach((item) => containers(item, into));
  } else if (isJsonObject(value)) {
    into.add(value);
    Object.values(value).forEach((item) => containers(item, into));
  }
  return into;
}
