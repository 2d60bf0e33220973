// Compound types of the schema library (see schema.ts): arrays, string-keyed records, objects
// (strict or loose) and unions.
import { invalidType, invalidUnion, prefixed, unrecognizedKeys } from "./issues.ts";
import { aborted, isObject, isPlainObject, Schema } from "./schema.ts";
import type { OptionalSchema, Output, Payload, Presence } from "./schema.ts";
import { UnknownSchema } from "./scalars.ts";

export class ArraySchema<T> extends Schema<T[]> {
  readonly element: Schema<T>;

  constructor(element: Schema<T>) {
    super();
    this.element = element;
  }

  protected parseValue(p: Payload): Payload {
    const input = p.value;
    if (!Array.isArray(input)) {
      p.issues.push(invalidType("array", input));
      return p;
    }
    const out: unknown[] = [];
    for (let i = 0; i < input.length; i++) {
      const result = this.element.run({ value: input[i], issues: [] });
      if (result.issues.length > 0) p.issues.push(...prefixed(i, result.issues));
      out.push(result.value);
    }
    p.value = out;
    return p;
  }
}

/** Records with string keys (all a JSON or YAML object has). */
export class RecordSchema<V> extends Schema<Record<string, V>> {
  readonly valueSchema: Schema<V>;

  constructor(valueSchema: Schema<V>) {
    super();
    this.valueSchema = valueSchema;
  }

  protected parseValue(p: Payload): Payload {
    const input = p.value;
    if (!isPlainObject(input)) {
      p.issues.push(invalidType("record", input));
      return p;
    }
    const out: Record<string, unknown> = {};
    const passThrough = this.valueSchema instanceof UnknownSchema && this.valueSchema.checks.length === 0;
    for (const key of Object.keys(input)) {
      if (key === "__proto__") continue;
      if (passThrough) {
        out[key] = input[key];
        continue;
      }
      const result = this.valueSchema.run({ value: input[key], issues: [] });
      if (result.issues.length > 0) p.issues.push(...prefixed(key, result.issues));
      out[key] = result.value;
    }
    p.value = out;
    return p;
  }
}

export type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never }[keyof S];
export type Flatten<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOutput<S extends Shape> = Flatten<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Output<S[K]> } & { [K in OptionalKeys<S>]?: Output<S[K]> }
>;

/** One property's result into the object being built (zod's handlePropertyResult). */
function addProperty(result: Payload, out: Payload & { value: Record<string, unknown> }, key: string, input: object, optin: Presence, optout: Presence): void {
  const isPresent = key in input;
  const isOptionalOut = optout === "optional";
  if (!isPresent && isOptionalOut && optin === "optional") return;
  if (result.issues.length > 0) {
    if (optin !== undefined && isOptionalOut && !isPresent) return;
    out.issues.push(...prefixed(key, result.issues));
  }
  if (!isPresent && optin === undefined) {
    if (result.issues.length === 0) out.issues.push({ ...invalidType("nonoptional", undefined), path: [key] });
    return;
  }
  if (result.value === undefined) {
    if (isPresent || (optin === "defaulted" && !isOptionalOut)) out.value[key] = undefined;
  } else {
    out.value[key] = result.value;
  }
}

interface Property {
  key: string;
  schema: Schema<unknown>;
  optin: Presence;
  optout: Presence;
}

export class ObjectSchema<S extends Shape, Out> extends Schema<Out> {
  readonly shape: S;
  readonly loose: boolean;
  #properties: Property[] | undefined;

  constructor(shape: S, loose: boolean) {
    super();
    this.shape = shape;
    this.loose = loose;
  }

  /** Resolved once: a schema's shape does not change. */
  get #props(): Property[] {
    this.#properties ??= Object.keys(this.shape)
      .filter((key) => key !== "__proto__")
      .map((key) => ({ key, schema: this.shape[key]!, optin: this.shape[key]!.optin, optout: this.shape[key]!.optout }));
    return this.#properties;
  }

  protected parseValue(p: Payload): Payload {
    const input = p.value;
    if (!isObject(input)) {
      p.issues.push(invalidType("object", input));
      return p;
    }
    const out = p as Payload & { value: Record<string, unknown> };
    out.value = {};
    for (const { key, schema, optin, optout } of this.#props) {
      // An absent optional key adds nothing (addProperty's first rule): no need to run its schema.
      if (optin === "optional" && optout === "optional" && !(key in input)) continue;
      addProperty(schema.run({ value: input[key], issues: [] }), out, key, input, optin, optout);
    }
    const unknown: string[] = [];
    for (const key in input) {
      if (Object.hasOwn(this.shape, key)) continue;
      if (key === "__proto__") {
        if (!this.loose) unknown.push(key);
        continue;
      }
      // A loose object keeps the value as it is (what addProperty makes of an unchecked value).
      if (!this.loose) unknown.push(key);
      else out.value[key] = input[key];
    }
    if (unknown.length > 0) out.issues.push(unrecognizedKeys(unknown));
    return out;
  }
}

export class UnionSchema<T> extends Schema<T> {
  readonly options: readonly Schema<unknown>[];

  constructor(options: readonly Schema<unknown>[]) {
    super();
    this.options = options;
  }

  override get optin(): Presence {
    if (this.options.some((o) => o.optin === "defaulted")) return "defaulted";
    return this.options.some((o) => o.optin !== undefined) ? "optional" : undefined;
  }

  override get optout(): "optional" | undefined {
    return this.options.some((o) => o.optout === "optional") ? "optional" : undefined;
  }

  protected parseValue(p: Payload): Payload {
    if (this.options.length === 1) return this.options[0]!.run(p);
    const results: Payload[] = [];
    for (const option of this.options) {
      const result = option.run({ value: p.value, issues: [] });
      if (result.issues.length === 0) return result;
      results.push(result);
    }
    const standing = results.filter((r) => !aborted(r));
    if (standing.length === 1) {
      p.value = standing[0]!.value;
      return standing[0]!;
    }
    p.issues.push(invalidUnion());
    return p;
  }
}

