// Scalar types of the schema library (see schema.ts): string, number, int, boolean, unknown, enum.
import type { Issue } from "./issues.ts";
import { invalidFormat, invalidType, invalidValue, tooBig, tooSmall } from "./issues.ts";
import { Schema } from "./schema.ts";
import type { Payload } from "./schema.ts";

export class StringSchema extends Schema<string> {
  protected parseValue(p: Payload): Payload {
    if (typeof p.value !== "string") p.issues.push(invalidType("string", p.value));
    return p;
  }

  min(minimum: number): this {
    return this.withCheck({
      when: (p) => p.value !== undefined && p.value !== null && (p.value as { length?: unknown }).length !== undefined,
      run: (p) => {
        const units = (p.value as { length: number }).length;
        const length = typeof p.value === "string" && units >= minimum && units < minimum * 2 ? [...p.value].length : units;
        if (length >= minimum) return;
        p.issues.push(tooSmall(Array.isArray(p.value) ? "array" : typeof p.value === "string" ? "string" : "unknown", minimum, true));
      },
    });
  }

  regex(pattern: RegExp, message?: string): this {
    return this.withCheck({
      run: (p) => {
        pattern.lastIndex = 0;
        if (!pattern.test(p.value as string)) p.issues.push(invalidFormat(pattern, message));
      },
    });
  }
}

export class NumberSchema extends Schema<number> {
  protected parseValue(p: Payload): Payload {
    if (typeof p.value !== "number" || !Number.isFinite(p.value)) p.issues.push(invalidType("number", p.value));
    return p;
  }

  private bound(test: (v: number) => boolean, issue: () => Issue): this {
    return this.withCheck({ run: (p) => void (test(p.value as number) || p.issues.push(issue())) });
  }

  min(minimum: number): this {
    return this.bound((v) => v >= minimum, () => tooSmall("number", minimum, true));
  }

  max(maximum: number): this {
    return this.bound((v) => v <= maximum, () => tooBig("number", maximum, true));
  }

  nonnegative(): this {
    return this.min(0);
  }

  positive(): this {
    return this.bound((v) => v > 0, () => tooSmall("number", 0, false));
  }
}

/** A safe integer: its own check comes first, before any bound. */
export function int(): NumberSchema {
  const schema = new NumberSchema();
  schema.checks = [{
    run: (p) => {
      const v = p.value as number;
      if (!Number.isInteger(v)) p.issues.push(invalidType("int", v, false));
      else if (!Number.isSafeInteger(v)) p.issues.push(v > 0 ? tooBig("int", Number.MAX_SAFE_INTEGER, true) : tooSmall("int", Number.MIN_SAFE_INTEGER, true));
    },
  }];
  return schema;
}

export class BooleanSchema extends Schema<boolean> {
  protected parseValue(p: Payload): Payload {
    if (typeof p.value !== "boolean") p.issues.push(invalidType("boolean", p.value));
    return p;
  }
}

export class UnknownSchema extends Schema<unknown> {
  protected parseValue(p: Payload): Payload {
    return p;
  }
}

export class EnumSchema<T extends string> extends Schema<T> {
  readonly values: readonly T[];
  readonly #set: ReadonlySet<unknown>;

  constructor(values: readonly T[]) {
    super();
    this.values = values;
    this.#set = new Set(values);
  }

  protected parseValue(p: Payload): Payload {
    if (!this.#set.has(p.value)) p.issues.push(invalidValue(this.values));
    return p;
  }
}

