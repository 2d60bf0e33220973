// A small schema library for the config file and the plugin annotation: the part of zod 4's API
// their schemas use, with zod's semantics (which issues, in which order, what each check skips,
// what a default or an optional key yields, the output's key order) and its messages. zod itself
// cost the webhook ~5 MB of resident memory for two schemas. This file: the base type, checks,
// and the wrappers its methods make (optional, default, transform); the types are in
// scalars.ts and compound.ts, the builder in index.ts.
import type { Issue } from "./issues.ts";
import { custom } from "./issues.ts";

export type { Issue } from "./issues.ts";

export interface Payload {
  value: unknown;
  issues: Issue[];
  aborted?: boolean;
}

export interface Check {
  run(payload: Payload): void;
  /** Length checks run even after a type error, on anything with a `length` (zod's `when`). */
  when?(payload: Payload): boolean;
}

export type Presence = "optional" | "defaulted" | undefined;

export function aborted(payload: Payload, from = 0): boolean {
  if (payload.aborted === true) return true;
  for (let i = from; i < payload.issues.length; i++) if (payload.issues[i]!.continue !== true) return true;
  return false;
}

function explicitlyAborted(payload: Payload): boolean {
  return payload.aborted === true || payload.issues.some((issue) => issue.continue === false);
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value)) return false;
  const ctor: unknown = value.constructor;
  if (ctor === undefined || typeof ctor !== "function") return true;
  const proto: unknown = (ctor as { prototype?: unknown }).prototype;
  return isObject(proto) && Object.hasOwn(proto, "isPrototypeOf");
}

function shallowClone<T>(value: T): T {
  if (isPlainObject(value)) return { ...value };
  if (Array.isArray(value)) return [...value] as T;
  return value;
}

export type SafeParseResult<T> = { success: true; data: T } | { success: false; error: { issues: Issue[] } };

export abstract class Schema<Out> {
  /** Type-level only: what a successful parse returns. */
  declare readonly output: Out;
  checks: readonly Check[] = [];

  get optin(): Presence {
    return undefined;
  }

  get optout(): "optional" | undefined {
    return undefined;
  }

  /** The type's own step (zod's `parse`); it may answer with another payload than it was given. */
  protected abstract parseValue(payload: Payload): Payload;

  run(payload: Payload): Payload {
    const result = this.parseValue(payload);
    if (this.checks.length === 0) return result;
    let isAborted = aborted(result);
    for (const check of this.checks) {
      if (check.when !== undefined) {
        if (explicitlyAborted(result) || !check.when(result)) continue;
      } else if (isAborted) {
        continue;
      }
      const before = result.issues.length;
      check.run(result);
      if (result.issues.length !== before && !isAborted) isAborted = aborted(result, before);
    }
    return result;
  }

  protected withCheck(check: Check): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this);
    copy.checks = [...this.checks, check];
    return copy;
  }

  safeParse(input: unknown): SafeParseResult<Out> {
    const result = this.run({ value: input, issues: [] });
    return result.issues.length > 0 ? { success: false, error: { issues: result.issues } } : { success: true, data: result.value as Out };
  }

  parse(input: unknown): Out {
    const result = this.safeParse(input);
    if (!result.success) throw new Error(result.error.issues.map((issue) => `${issue.path.map(String).join(".")}: ${issue.message}`).join("; "));
    return result.data;
  }

  optional(): OptionalSchema<Out> {
    return new OptionalSchema(this);
  }

  default(value: Exclude<Out, undefined>): DefaultSchema<Exclude<Out, undefined>> {
    return new DefaultSchema(this as Schema<Exclude<Out, undefined>>, value);
  }

  refine(accept: (value: Out) => boolean, message: string): this {
    return this.withCheck({ run: (p) => void (accept(p.value as Out) || p.issues.push(custom(message, true))) });
  }

  transform<T>(fn: (value: Out, ctx: TransformContext) => T): Schema<T> {
    return new PipeSchema<T>(this, new TransformSchema(fn as (value: unknown, ctx: TransformContext) => unknown));
  }
}

export type Output<S> = S extends Schema<infer T> ? T : never;

export interface TransformContext {
  addIssue(issue: { code: "custom"; message: string }): void;
}

class TransformSchema extends Schema<unknown> {
  readonly fn: (value: unknown, ctx: TransformContext) => unknown;

  constructor(fn: (value: unknown, ctx: TransformContext) => unknown) {
    super();
    this.fn = fn;
  }

  override get optin(): Presence {
    return "optional";
  }

  protected parseValue(p: Payload): Payload {
    p.value = this.fn(p.value, { addIssue: (issue) => void p.issues.push(custom(issue.message, false)) });
    return p;
  }
}

export class PipeSchema<T> extends Schema<T> {
  readonly from: Schema<unknown>;
  readonly to: Schema<unknown>;

  constructor(from: Schema<unknown>, to: Schema<unknown>) {
    super();
    this.from = from;
    this.to = to;
  }

  override get optin(): Presence {
    return this.from.optin;
  }

  override get optout(): "optional" | undefined {
    return this.to.optout;
  }

  protected parseValue(p: Payload): Payload {
    const left = this.from.run(p);
    if (left.issues.some((issue) => issue.code !== "unrecognized_keys")) {
      left.aborted = true;
      return left;
    }
    return this.to.run({ value: left.value, issues: left.issues });
  }
}

export class OptionalSchema<T> extends Schema<T | undefined> {
  readonly inner: Schema<T>;

  constructor(inner: Schema<T>) {
    super();
    this.inner = inner;
  }

  override get optin(): Presence {
    return this.inner.optin === "defaulted" ? "defaulted" : "optional";
  }

  override get optout(): "optional" | undefined {
    return "optional";
  }

  protected parseValue(p: Payload): Payload {
    if (p.value !== undefined) return this.inner.run(p);
    if (this.inner.optin !== "defaulted") return p;
    const result = this.inner.run({ value: undefined, issues: [] });
    p.value = result.issues.length > 0 ? undefined : result.value;
    return p;
  }
}

export class DefaultSchema<T> extends Schema<T> {
  readonly inner: Schema<T>;
  readonly fallback: T;

  constructor(inner: Schema<T>, fallback: T) {
    super();
    this.inner = inner;
    this.fallback = fallback;
  }

  override get optin(): Presence {
    return "defaulted";
  }

  protected parseValue(p: Payload): Payload {
    if (p.value === undefined) {
      p.value = shallowClone(this.fallback);
      return p;
    }
    const result = this.inner.run(p);
    if (result.value === undefined) result.value = shallowClone(this.fallback);
    return result;
  }
}

/** What a transform returns with an issue: never read, as the parse has failed. */
export const NEVER = Object.freeze({ status: "aborted" }) as never;

