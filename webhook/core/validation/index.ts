// The schema library's builder, named after zod's `z` functions the schemas used.
import { ArraySchema, ObjectSchema, RecordSchema, UnionSchema } from "./compound.ts";
import type { Flatten, ObjectOutput, Shape } from "./compound.ts";
import { BooleanSchema, EnumSchema, int, NumberSchema, StringSchema, UnknownSchema } from "./scalars.ts";
import type { Output, Schema } from "./schema.ts";

export { NEVER } from "./schema.ts";
export type { Issue, Output, SafeParseResult, Schema, TransformContext } from "./schema.ts";

export const v = {
  string: (): StringSchema => new StringSchema(),
  number: (): NumberSchema => new NumberSchema(),
  int,
  boolean: (): BooleanSchema => new BooleanSchema(),
  unknown: (): UnknownSchema => new UnknownSchema(),
  enum: <const T extends string>(values: readonly T[]): EnumSchema<T> => new EnumSchema(values),
  array: <T>(element: Schema<T>): ArraySchema<T> => new ArraySchema(element),
  record: <V>(_key: StringSchema, value: Schema<V>): RecordSchema<V> => new RecordSchema(value),
  union: <const O extends readonly Schema<unknown>[]>(options: O): UnionSchema<Output<O[number]>> => new UnionSchema(options),
  /** Unknown keys are refused. */
  strictObject: <S extends Shape>(shape: S): ObjectSchema<S, ObjectOutput<S>> => new ObjectSchema(shape, false),
  /** Unknown keys are kept, after the shape's. */
  looseObject: <S extends Shape>(shape: S): ObjectSchema<S, Flatten<ObjectOutput<S> & Record<string, unknown>>> => new ObjectSchema(shape, true),
};
