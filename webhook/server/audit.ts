// Exactly one structured log line per admission review. The patch goes into it only
// when the configured audit level is enabled, and always through the core's redaction,
// because agentified containers copy the Job's env (literal tokens included).
import { createHash } from "node:crypto";
import type { Level, Logger } from "pino";
import { isJsonObject } from "../core/json.ts";
import { JOB_UUID_LABEL } from "../core/index.ts";
import type { Config, JsonObject, JsonValue, PatchOperation } from "../core/index.ts";
import type { Admission } from "./admit.ts";
import type { RequestFacts } from "./gate.ts";

export interface AuditInput {
  uid: string;
  facts: RequestFacts | undefined;
  /** request.object, for name/generateName/labels; never logged itself. */
  object: JsonValue | undefined;
  admission: Admission;
  httpStatus: number;
  durationMs: number;
  error?: unknown;
}

/** The core's redactPatch: masks secret env values in ops, looking names up in `target`. */
export type RedactFn = (ops: readonly PatchOperation[], target: JsonValue, config: Config) => PatchOperation[];

function metadataOf(object: JsonValue | undefined): JsonObject {
  if (!isJsonObject(object)) return {};
  const metadata = object["metadata"];
  return isJsonObject(metadata) ? metadata : {};
}

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** The pino level of the line itself: internal errors are errors, malformed requests warnings. */
function lineLevel(admission: Admission): Level {
  if (admission.result !== "error") return "info";
  return admission.response.status?.code === 500 ? "error" : "warn";
}

export function writeAudit(logger: Logger, auditLevel: Level, redact: RedactFn, config: Config, input: AuditInput): void {
  const { admission, facts } = input;
  const metadata = metadataOf(input.object);
  const labels = metadata["labels"];
  const jobUuid = admission.jobUuid ?? (isJsonObject(labels) ? str(labels[JOB_UUID_LABEL]) : undefined);
  const line: Record<string, unknown> = {
    uid: input.uid,
    namespace: str(metadata["namespace"]) ?? facts?.namespace,
    name: str(metadata["name"]) ?? str(facts?.name),
    generateName: str(metadata["generateName"]),
    jobUuid,
    operation: facts?.operation,
    dryRun: facts?.dryRun ?? false,
    result: admission.result,
    reason: admission.reason,
    detail: admission.detail,
    httpStatus: input.httpStatus,
    durationMs: Math.round(input.durationMs * 1000) / 1000,
  };
  if (admission.patch !== undefined && admission.patchJson !== undefined) {
    line["patchOps"] = admission.patch.length;
    line["patchSha256"] = createHash("sha256").update(admission.patchJson).digest("hex");
    if (admission.patch.length > 0 && logger.isLevelEnabled(auditLevel)) line["patch"] = redact(admission.patch, admission.target ?? null, config);
  }
  if (input.error !== undefined) line["err"] = input.error;
  logger[lineLevel(admission)](line, "admission review");
}
