// The one error type of the strategic merge patch code: callers (the admission handler) turn it
// into a clear rejection, so it always says where in the document the patch went wrong.
import type { JsonValue } from "../json.ts";

export class PatchError extends Error {
  /** Where the problem is, e.g. `spec.containers[name=app].env`; "" for the document root. */
  readonly path: string;

  constructor(path: string, reason: string) {
    super(path === "" ? reason : `${path}: ${reason}`);
    this.name = "PatchError";
    this.path = path;
  }
}

/** The JSON type of a value as error messages name it. */
export function jsonTypeName(value: JsonValue): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "list";
  return typeof value;
}

/** Path of a field below `path`. */
export function fieldPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

/** Path of a list element: by merge key where it has one (stable across reorders), else by index. */
export function elementPath(path: string, index: number, mergeKey?: string, keyValue?: JsonValue): string {
  if (mergeKey !== undefined && keyValue !== undefined && keyValue !== null && typeof keyValue !== "object") {
    return `${path}[${mergeKey}=${String(keyValue)}]`;
  }
  return `${path}[${index}]`;
}
