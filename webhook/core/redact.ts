// Masks secret values before anything is logged: literal env values whose names match the
// agent's redacted-vars patterns. Values from secretKeyRef are references and stay readable.
import type { Config } from "./config/index.ts";
import { isJsonObject, type JsonValue } from "./json.ts";
import { DEFAULT_REDACTED_VARS } from "./pod/agent.ts";

export const REDACTED = "[REDACTED]";

// One compiled matcher per config: this runs on every admission, once per patch op.
const matchers = new WeakMap<Config, (name: string) => boolean>();

function matcher(config: Config): (name: string) => boolean {
  let match = matchers.get(config);
  if (!match) {
    const alternatives = [...DEFAULT_REDACTED_VARS, ...config["additional-redacted-vars"]].map((glob) =>
      glob.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*"),
    );
    const pattern = new RegExp(`^(?:${alternatives.join("|")})$`, "i");
    match = (name) => pattern.test(name);
    matchers.set(config, match);
  }
  return match;
}

/** A copy of `value` with every `{name, value}` env entry of a secret-looking name masked. */
export function redactSecrets(value: JsonValue, config: Config): JsonValue {
  const isSecret = matcher(config);
  const walk = (v: JsonValue): JsonValue => {
    if (Array.isArray(v)) return v.map(walk);
    if (!isJsonObject(v)) return v;
    const out: Record<string, JsonValue> = {};
    for (const [k, child] of Object.entries(v)) out[k] = walk(child);
    if (typeof v.name === "string" && typeof v.value === "string" && isSecret(v.name)) out.value = REDACTED;
    return out;
  };
  return walk(value);
}

/**
 * Masks a patch for logging. An op can set just `/…/env/3/value`, with the name elsewhere, so
 * each op's parent object is looked up in the patched document (`target`) to find its name.
 */
export function redactPatch<T extends { path: string; value?: JsonValue }>(ops: readonly T[], target: JsonValue, config: Config): T[] {
  const isSecret = matcher(config);
  return ops.map((op) => {
    if (op.value === undefined) return op;
    if (op.path.endsWith("/value") && typeof op.value === "string") {
      const parent = resolvePointer(target, op.path.slice(0, -"/value".length));
      if (isJsonObject(parent) && typeof parent.name === "string" && isSecret(parent.name)) return { ...op, value: REDACTED };
    }
    return { ...op, value: redactSecrets(op.value, config) };
  });
}

function resolvePointer(doc: JsonValue, pointer: string): JsonValue | undefined {
  let node: JsonValue | undefined = doc;
  for (const raw of pointer.split("/").slice(1)) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isJsonObject(node)) node = node[token];
    else return undefined;
  }
  return node;
}
