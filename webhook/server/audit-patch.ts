// The patch as the audit line shows it. The answer's patch JSON is serialized once (admit.ts);
// when nothing in it needs masking, which is the usual case, the audit line reuses that very
// text. Only a patch that holds a secret-named env value (or an op that sets a bare `…/value`,
// whose name lives elsewhere in the Job) goes through the core's redaction and is serialized
// again. Which names are secret is always the core's answer, asked through redactSecrets.
import type { Config, JsonObject, JsonValue, PatchOperation } from "../core/index.ts";

/** The core's redaction functions (redactPatch, redactSecrets, REDACTED). */
export interface Redaction {
  redactPatch(ops: readonly PatchOperation[], target: JsonValue, config: Config): PatchOperation[];
  redactSecrets(value: JsonValue, config: Config): JsonValue;
  /** What a masked value reads. */
  masked: string;
}

/** Env names repeat from Job to Job (BUILDKITE_*, the step's own); bounded, as names come from users. */
const NAME_CACHE_LIMIT = 4096;
const secretNames = new WeakMap<Config, Map<string, boolean>>();

function isSecretName(name: string, config: Config, redaction: Redaction): boolean {
  let cache = secretNames.get(config);
  if (cache === undefined) secretNames.set(config, (cache = new Map()));
  let secret = cache.get(name);
  if (secret === undefined) {
    const probe = redaction.redactSecrets({ name, value: "" }, config) as JsonObject;
    secret = probe["value"] === redaction.masked;
    if (cache.size >= NAME_CACHE_LIMIT) cache.clear();
    cache.set(name, secret);
  }
  return secret;
}

/** True when some `{name, value}` object (strings both) in `value` has a secret name. */
function holdsSecret(value: JsonValue, config: Config, redaction: Redaction): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (holdsSecret(item, config, redaction)) return true;
    return false;
  }
  if (value === null || typeof value !== "object") return false;
  const name = value["name"];
  if (typeof name === "string" && typeof value["value"] === "string" && isSecretName(name, config, redaction)) return true;
  for (const key in value) if (holdsSecret(value[key] as JsonValue, config, redaction)) return true;
  return false;
}

/** Whether the core's redactPatch could change anything in `ops`. */
export function needsRedaction(ops: readonly PatchOperation[], config: Config, redaction: Redaction): boolean {
  for (const op of ops) {
    if (op.op === "remove") continue;
    // A bare value whose name is found in the target: leave the decision to the core.
    if (typeof op.value === "string" && op.path.endsWith("/value")) return true;
    if (holdsSecret(op.value, config, redaction)) return true;
  }
  return false;
}

/** The audit line's patch JSON: `patchText` itself, or the core's redaction of `ops` serialized. */
export function auditPatchText(ops: readonly PatchOperation[], patchText: string, target: JsonValue, config: Config, redaction: Redaction): string {
  return needsRedaction(ops, config, redaction) ? JSON.stringify(redaction.redactPatch(ops, target, config)) : patchText;
}
