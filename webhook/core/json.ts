// Plain JSON values: the core works on these, never on typed client objects,
// so that round-trips cannot add or drop fields and patches stay minimal.
export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep copy of plain JSON (faster than a serialise/parse round-trip). */
export function cloneJson<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}
