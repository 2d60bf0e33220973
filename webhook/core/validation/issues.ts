// What a failed validation reports: one issue per problem, with the path of the offending value
// and zod 4's English message for it, word for word (config files and plugin annotations were
// validated with zod, and their messages reach users and tests unchanged).
export type IssueCode =
  | "invalid_type" | "invalid_value" | "too_small" | "too_big" | "invalid_format" | "unrecognized_keys" | "invalid_union" | "custom";

export interface Issue {
  code: IssueCode;
  /** Object keys and array indexes from the validated root to the value. */
  path: PropertyKey[];
  message: string;
  /** unrecognized_keys: the keys, in the input's order. */
  keys?: string[];
  /** Whether checks after this one still run on the value (zod's `continue`). */
  continue?: boolean;
}

/** zod's parsedType, for the "received" part of a message (JSON and YAML values only get here). */
function receivedName(value: unknown): string {
  if (typeof value === "number") return Number.isNaN(value) ? "NaN" : Number.isFinite(value) ? "number" : String(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object") {
    const proto: unknown = Object.getPrototypeOf(value);
    const ctor = (value as { constructor?: unknown }).constructor;
    if (proto !== Object.prototype && "constructor" in value && ctor) return String((ctor as { name?: unknown }).name);
  }
  return typeof value;
}

export function invalidType(expected: string, input: unknown, continues?: false): Issue {
  const issue: Issue = { code: "invalid_type", path: [], message: `Invalid input: expected ${expected}, received ${receivedName(input)}` };
  if (continues === false) issue.continue = false;
  return issue;
}

function primitive(value: string | number | boolean): string {
  return typeof value === "string" ? `"${value}"` : `${value}`;
}

export function invalidValue(values: readonly (string | number | boolean)[]): Issue {
  const message = values.length === 1 ? `Invalid input: expected ${primitive(values[0]!)}` : `Invalid option: expected one of ${values.map(primitive).join("|")}`;
  return { code: "invalid_value", path: [], message };
}

const SIZING: Record<string, string> = { string: "characters", array: "items" };

export function tooSmall(origin: string, minimum: number, inclusive: boolean): Issue {
  const adj = inclusive ? ">=" : ">";
  const unit = SIZING[origin];
  const message = unit ? `Too small: expected ${origin} to have ${adj}${minimum} ${unit}` : `Too small: expected ${origin} to be ${adj}${minimum}`;
  return { code: "too_small", path: [], message, continue: true };
}

export function tooBig(origin: string, maximum: number, inclusive: boolean): Issue {
  const adj = inclusive ? "<=" : "<";
  const unit = SIZING[origin];
  const message = unit ? `Too big: expected ${origin} to have ${adj}${maximum} ${unit}` : `Too big: expected ${origin} to be ${adj}${maximum}`;
  return { code: "too_big", path: [], message, continue: true };
}

export function invalidFormat(pattern: RegExp, message: string | undefined): Issue {
  return { code: "invalid_format", path: [], message: message ?? `Invalid string: must match pattern ${pattern.toString()}`, continue: true };
}

export function unrecognizedKeys(keys: string[]): Issue {
  return { code: "unrecognized_keys", path: [], message: `Unrecognized key${keys.length > 1 ? "s" : ""}: ${keys.map((k) => `"${k}"`).join(", ")}`, keys, continue: true };
}

export function invalidUnion(): Issue {
  return { code: "invalid_union", path: [], message: "Invalid input" };
}

/** A refinement's or transform's own message; a refinement lets later checks run, a transform does not. */
export function custom(message: string, continues: boolean): Issue {
  const issue: Issue = { code: "custom", path: [], message };
  if (continues) issue.continue = true;
  return issue;
}

/** The issues of a value found at `key`, as issues of its parent. */
export function prefixed(key: PropertyKey, issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => ({ ...issue, path: [key, ...issue.path] }));
}
