// Schema nodes for strategic merge patch: the JSON shape of each API field plus the
// `patchStrategy`/`patchMergeKey` tags that the Go types carry. A field missing from a schema
// (or typed `any`) is merged generically: objects recursively, lists and scalars replaced.

export type ScalarKind = "string" | "integer" | "boolean" | "quantity" | "intOrString";

export interface ScalarSchema {
  readonly kind: ScalarKind;
}

/** Arbitrary JSON (e.g. managedFields' fieldsV1): no validation, generic merge. */
export interface AnySchema {
  readonly kind: "any";
}

/** A Go struct: known fields only (others are treated as unknown). */
export interface StructSchema {
  readonly kind: "struct";
  readonly name: string;
  readonly fields: Readonly<Record<string, FieldSchema>>;
  /** patchStrategy "replace" on the field: the patch value replaces the whole object. */
  readonly replace?: boolean;
}

/** A Go map with string keys (nodeSelector, resources.limits, ...). */
export interface MapSchema {
  readonly kind: "map";
  readonly values: FieldSchema;
  readonly replace?: boolean;
}

/**
 * A Go slice. `merge` lists of objects merge element-wise by `mergeKey`; `merge` lists of scalars
 * are merged as sets; `atomic` lists (no patchStrategy tag) are replaced whole by the patch.
 */
export interface ListSchema {
  readonly kind: "list";
  readonly items: FieldSchema;
  readonly strategy: "merge" | "atomic";
  /** "" for atomic lists and for merge lists of scalars. */
  readonly mergeKey: string;
}

export type FieldSchema = ScalarSchema | AnySchema | StructSchema | MapSchema | ListSchema;

/** Schema of an object that a patch can be merged into (the node itself, or unknown). */
export type ObjectSchema = StructSchema | MapSchema | undefined;

export const str: ScalarSchema = { kind: "string" };
export const int: ScalarSchema = { kind: "integer" };
export const bool: ScalarSchema = { kind: "boolean" };
export const qty: ScalarSchema = { kind: "quantity" };
export const intOrStr: ScalarSchema = { kind: "intOrString" };
export const anyJson: AnySchema = { kind: "any" };

export function struct(name: string, fields: Record<string, FieldSchema>): StructSchema {
  return { kind: "struct", name, fields };
}

export function mapOf(values: FieldSchema): MapSchema {
  return { kind: "map", values };
}

/** A list without a patch strategy: replaced whole. */
export function atomicList(items: FieldSchema): ListSchema {
  return { kind: "list", items, strategy: "atomic", mergeKey: "" };
}

/** `patchStrategy:"merge" patchMergeKey:"<mergeKey>"` on a list of objects. */
export function mergeList(mergeKey: string, items: StructSchema): ListSchema {
  return { kind: "list", items, strategy: "merge", mergeKey };
}

/** `patchStrategy:"merge"` on a list of scalars (e.g. finalizers): merged as a set. */
export function setList(items: ScalarSchema): ListSchema {
  return { kind: "list", items, strategy: "merge", mergeKey: "" };
}

export const strList = atomicList(str);

/** The schema of field `key` of an object with schema `node`; undefined when unknown. */
export function childSchema(node: ObjectSchema, key: string): FieldSchema | undefined {
  if (node === undefined) return undefined;
  if (node.kind === "map") return node.values;
  return Object.hasOwn(node.fields, key) ? node.fields[key] : undefined;
}

/** Narrows a field schema to one an object patch can merge into ("any" counts as unknown). */
export function asObjectSchema(node: FieldSchema | undefined): ObjectSchema {
  return node !== undefined && (node.kind === "struct" || node.kind === "map") ? node : undefined;
}

/** How a list field merges; unknown fields behave like atomic lists of unknown items. */
export function listMeta(node: FieldSchema | undefined): { strategy: "merge" | "atomic"; mergeKey: string; items: FieldSchema | undefined } {
  if (node?.kind === "list") return { strategy: node.strategy, mergeKey: node.mergeKey, items: node.items };
  return { strategy: "atomic", mergeKey: "", items: undefined };
}

/** Whether the object patch replaces the whole field (patchStrategy "replace" on a struct/map field). */
export function replacesWhole(node: FieldSchema | undefined): boolean {
  return (node?.kind === "struct" || node?.kind === "map") && node.replace === true;
}
