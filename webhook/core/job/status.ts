// The status annotation: which version agentified the Job and a hash of its input. Its presence
// makes agentify idempotent: an agentified Job is returned as it is, byte for byte.
import { createHash } from "node:crypto";
import type { JsonValue } from "../json.ts";
import { AGENTIFY_VERSION } from "../names.ts";

/** JSON with object keys sorted, so equal inputs hash equally whatever their key order. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function statusAnnotation(input: JsonValue): string {
  const digest = createHash("sha256").update(canonicalJson(input)).digest("hex").slice(0, 16);
  return `v${AGENTIFY_VERSION}; input-sha256=${digest}`;
}
