// The status annotation: which version agentified the Job and a hash of its input. Its presence
// makes agentify idempotent: an agentified Job is returned as it is, byte for byte.
import { hash } from "node:crypto";
import type { JsonValue } from "../json.ts";
import { AGENTIFY_VERSION } from "../names.ts";

export function statusAnnotation(input: JsonValue): string {
  // The input's own serialisation: equal bytes in give equal hashes, with no canonicalising pass.
  // One-shot hash(): a Hash object (createHash) costs more than hashing a Job's 2 KB.
  const digest = hash("sha256", JSON.stringify(input), "hex").slice(0, 16);
  return `v${AGENTIFY_VERSION}; input-sha256=${digest}`;
}
