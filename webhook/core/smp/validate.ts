// Checks a patch against the schema before merging, so that a malformed patch fails with a clear
// message and its path instead of producing an object the API server would refuse. Stricter than
// apimachinery where it would accept nonsense: a value of the wrong JSON type, a merge-list element
// without its merge key, directives that cannot apply.
import type { JsonObject, JsonValue } from "../json.ts";
import { isJsonObject } from "../json.ts";
import {
  DELETE_FROM_PRIMITIVE_LIST, PATCH, RETAIN_KEYS, SET_ELEMENT_ORDER, directiveField, hasPatchDirective,
  parallelListDirective,
} from "./directives.ts";
import { PatchError, elementPath, fieldPath, jsonTypeName } from "./errors.ts";
import { childSchema, listMeta } from "./schema.ts";
import type { FieldSchema, ListSchema, ObjectSchema, ScalarKind } from "./schema.ts";

const EXPECTED: Record<ScalarKind, string> = {
  string: "a string",
  integer: "an integer",
  boolean: "a boolean",
  quantity: "a quantity (string or number)",
  intOrString: "an integer or a string",
};

function typeError(path: string, expected: string, value: JsonValue): PatchError {
  return new PatchError(path, `expected ${expected}, got ${jsonTypeName(value)}`);
}

function scalarFits(kind: ScalarKind, value: JsonValue): boolean {
  switch (kind) {
    case "string": return typeof value === "string";
    case "integer": return Number.isInteger(value);
    case "boolean": return typeof value === "boolean";
    case "quantity": return typeof value === "string" || typeof value === "number";
    case "intOrString": return typeof value === "string" || Number.isInteger(value);
  }
}

function isScalar(value: JsonValue): boolean {
  return value !== null && typeof value !== "object";
}

/** The merge-key value of a patch element; it must be present and a scalar. */
function requireMergeKey(item: JsonObject, mergeKey: string, path: string): JsonValue {
  const value = item[mergeKey];
  if (!Object.hasOwn(item, mergeKey) || value === null || value === undefined) {
    throw new PatchError(path, `list element has no merge key "${mergeKey}"`);
  }
  if (!isScalar(value)) throw new PatchError(path, `merge key "${mergeKey}" must be a scalar, got ${jsonTypeName(value)}`);
  return value;
}

export function validatePatch(patch: JsonObject, schema: ObjectSchema, path: string): void {
  validateObject(patch, schema, path);
}

function validateValue(value: JsonValue, schema: FieldSchema | undefined, path: string): void {
  if (value === null) return; // null deletes, whatever the field
  if (schema === undefined || schema.kind === "any") {
    if (isJsonObject(value)) validateObject(value, undefined, path);
    return;
  }
  if (schema.kind === "struct" || schema.kind === "map") {
    if (!isJsonObject(value)) throw typeError(path, "an object", value);
    validateObject(value, schema, path);
  } else if (schema.kind === "list") {
    if (!Array.isArray(value)) throw typeError(path, "a list", value);
    validateList(value, schema, path);
  } else if (!scalarFits(schema.kind, value)) {
    throw typeError(path, EXPECTED[schema.kind], value);
  }
}

function validateObject(patch: JsonObject, schema: ObjectSchema, path: string): void {
  for (const [key, value] of Object.entries(patch)) {
    if (key === PATCH) {
      if (value !== "replace" && value !== "delete") {
        throw new PatchError(path, `unknown $patch directive ${JSON.stringify(value)} (expected "replace" or "delete")`);
      }
    } else if (key === RETAIN_KEYS) {
      validateRetainKeys(patch, value, path);
    } else if (parallelListDirective(key) !== undefined) {
      validateParallelList(patch, key, value, schema, path);
    } else {
      validateValue(value, childSchema(schema, key), fieldPath(path, key));
    }
  }
}

/** `$retainKeys` lists field names, and must name every field the same patch sets. */
function validateRetainKeys(patch: JsonObject, value: JsonValue, path: string): void {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw new PatchError(fieldPath(path, RETAIN_KEYS), "expected a list of field names");
  }
  for (const [key, item] of Object.entries(patch)) {
    if (item === null || key === RETAIN_KEYS || key === PATCH || parallelListDirective(key) !== undefined) continue;
    if (!value.includes(key)) throw new PatchError(fieldPath(path, key), "field is set by the patch but missing from $retainKeys");
  }
}

/** `$setElementOrder/<field>` and `$deleteFromPrimitiveList/<field>`. */
function validateParallelList(patch: JsonObject, key: string, value: JsonValue, schema: ObjectSchema, path: string): void {
  const directive = parallelListDirective(key) as string;
  const directivePath = fieldPath(path, key);
  const field = directiveField(key, directive);
  if (field === undefined) throw new PatchError(directivePath, `malformed directive, expected "${directive}/<field>"`);
  // apimachinery reads `$deleteFromPrimitiveList/<field>: null` as deleting the field itself.
  if (value === null && directive === DELETE_FROM_PRIMITIVE_LIST) return;
  if (!Array.isArray(value)) throw typeError(directivePath, "a list", value);
  if (schema?.kind === "map") throw new PatchError(directivePath, `${directive} is not valid in a map`);
  const target = childSchema(schema, field);
  if (schema?.kind === "struct" && target === undefined) {
    throw new PatchError(directivePath, `${schema.name} has no field "${field}"`);
  }
  if (target !== undefined && target.kind !== "list" && target.kind !== "any") {
    throw new PatchError(directivePath, `"${field}" is not a list`);
  }
  const list = target?.kind === "list" ? target : undefined;
  if (directive === DELETE_FROM_PRIMITIVE_LIST) validateDeleteList(value, list, field, directivePath);
  else if (directive === SET_ELEMENT_ORDER) validateSetElementOrder(patch, value, list, field, path);
}

function validateDeleteList(value: JsonValue[], list: ListSchema | undefined, field: string, path: string): void {
  if (list !== undefined && list.items.kind === "struct") throw new PatchError(path, `"${field}" is not a list of primitives`);
  value.forEach((item, index) => {
    if (!isScalar(item)) throw typeError(elementPath(path, index), "a primitive value", item);
    if (list !== undefined) validateValue(item, list.items, elementPath(path, index));
  });
}

function validateSetElementOrder(patch: JsonObject, order: JsonValue[], list: ListSchema | undefined, field: string, path: string): void {
  const directivePath = fieldPath(path, `${SET_ELEMENT_ORDER}/${field}`);
  const { mergeKey } = listMeta(list);
  const objects = list !== undefined ? list.items.kind === "struct" : order.some(isJsonObject);
  if (objects && mergeKey === "") {
    throw new PatchError(directivePath, `cannot order "${field}": its elements are objects without a merge key`);
  }
  order.forEach((item, index) => {
    const itemPath = elementPath(directivePath, index);
    if (mergeKey === "") {
      if (!isScalar(item)) throw typeError(itemPath, "a primitive value", item);
      if (list !== undefined) validateValue(item, list.items, itemPath);
    } else if (!isJsonObject(item)) {
      throw typeError(itemPath, "an object", item);
    } else {
      requireMergeKey(item, mergeKey, itemPath);
    }
  });
  if (!Object.hasOwn(patch, field)) return;
  const patchList = patch[field] as JsonValue;
  if (!Array.isArray(patchList)) throw typeError(fieldPath(path, field), `a list (it has ${SET_ELEMENT_ORDER})`, patchList);
  checkRelativeOrder(patchList, order, mergeKey, fieldPath(path, field), directivePath, field);
}

/**
 * apimachinery's check that the patch list names its items in the order $setElementOrder gives
 * (deletions and other `$patch` elements aside); it stops at the first item it cannot place.
 */
function checkRelativeOrder(
  patchList: JsonValue[], order: JsonValue[], mergeKey: string, listPath: string, directivePath: string, field: string,
): void {
  if (patchList.length === 0 || order.length === 0) return;
  const identity = (item: JsonValue, index: number, path: string): JsonValue => {
    if (mergeKey === "") return item;
    if (!isJsonObject(item)) throw typeError(elementPath(path, index), "an object", item);
    return requireMergeKey(item, mergeKey, elementPath(path, index));
  };
  const items = patchList.filter((item) => mergeKey === "" || !(isJsonObject(item) && item[PATCH] === "delete"));
  let next = 0;
  for (let o = 0; o < order.length && next < items.length; o++) {
    while (next < items.length && hasPatchDirective(items[next])) next++;
    if (next >= items.length) break;
    if (identity(items[next] as JsonValue, next, listPath) === identity(order[o] as JsonValue, o, directivePath)) next++;
  }
  if (next < items.length) {
    throw new PatchError(listPath, `items are not in the order given by ${SET_ELEMENT_ORDER}/${field}, or are missing from it`);
  }
}

function validateList(list: JsonValue[], schema: ListSchema, path: string): void {
  const items = schema.items;
  list.forEach((item, index) => {
    const itemPath = elementPath(path, index);
    if (item === null) throw new PatchError(itemPath, "list elements must not be null");
    if (items.kind !== "struct") {
      validateValue(item, items, itemPath);
      return;
    }
    if (!isJsonObject(item)) throw typeError(itemPath, "an object", item);
    if (schema.mergeKey === "") {
      // Nothing is merged into elements of an atomic list, so directives there would be kept as data.
      const directive = Object.keys(item).find((key) => key === PATCH || key === RETAIN_KEYS || parallelListDirective(key) !== undefined);
      if (directive !== undefined) {
        throw new PatchError(itemPath, `${directive} is not allowed in a list without a merge key (the list is replaced whole)`);
      }
      validateObject(item, items, itemPath);
      return;
    }
    if (hasPatchDirective(item)) {
      validateDirectiveElement(item, schema.mergeKey, itemPath);
      return;
    }
    const key = requireMergeKey(item, schema.mergeKey, itemPath);
    validateObject(item, items, elementPath(path, index, schema.mergeKey, key));
  });
}

function validateDirectiveElement(item: JsonObject, mergeKey: string, path: string): void {
  const directive = item[PATCH];
  if (directive === "delete") requireMergeKey(item, mergeKey, path);
  else if (directive === "merge") throw new PatchError(path, `$patch "merge" is not supported in list elements`);
  else if (directive !== "replace") {
    throw new PatchError(path, `unknown $patch directive ${JSON.stringify(directive)} (expected "replace" or "delete")`);
  }
}
