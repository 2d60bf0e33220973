// The public face of the agentify core: pure functions, no I/O.
export type { JsonObject, JsonValue } from "./json.ts";
export { AgentifyError, DENIAL_REASONS, type DenialReason } from "./errors.ts";
export { agentify, tryAgentify, type AgentifyOutcome } from "./agentify.ts";
export { patchFor, type PatchOperation } from "./patch.ts";
export { parseConfig, defaultConfig, ConfigError, type Config } from "./config/index.ts";
export { JOB_UUID_LABEL, AGENTIFIED_ANNOTATION, PLUGIN_ANNOTATION, AGENT_QUERY_RULES_ANNOTATION } from "./names.ts";
export { redactSecrets, redactPatch, REDACTED } from "./redact.ts";
