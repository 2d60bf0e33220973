// Exactly one structured log line per admission review. The patch goes into it only
// when the configured audit level is enabled, and always as the core's redaction would show it,
// because agentified containers copy the Job's env (literal tokens included). The line reuses
// the answer's patch JSON (audit-patch.ts) and is written as pino writes lines (audit-line.ts).
import { hash } from "node:crypto";
import type { Level, Logger } from "pino";
import { isJsonObject } from "../core/json.ts";
import { JOB_UUID_LABEL } from "../core/index.ts";
import type { Config, JsonObject, JsonValue } from "../core/index.ts";
import type { Admission } from "./admit.ts";
import { jsonField, writeRawLine } from "./audit-line.ts";
import { auditPatchText } from "./audit-patch.ts";
import type { Redaction } from "./audit-patch.ts";
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

export const AUDIT_MESSAGE = "admission review";

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

type Scalar = string | number | boolean | undefined;

export function writeAudit(logger: Logger, auditLevel: Level, redaction: Redaction, config: Config, input: AuditInput): void {
  const { admission, facts } = input;
  const level = lineLevel(admission);
  if (!logger.isLevelEnabled(level)) return;
  const metadata = metadataOf(input.object);
  const labels = metadata["labels"];
  const fields: [string, Scalar][] = [
    ["uid", input.uid],
    ["namespace", str(metadata["namespace"]) ?? facts?.namespace],
    ["name", str(metadata["name"]) ?? str(facts?.name)],
    ["generateName", str(metadata["generateName"])],
    ["jobUuid", admission.jobUuid ?? (isJsonObject(labels) ? str(labels[JOB_UUID_LABEL]) : undefined)],
    ["operation", facts?.operation],
    ["dryRun", facts?.dryRun ?? false],
    ["result", admission.result],
    ["reason", admission.reason],
    ["detail", admission.detail],
    ["httpStatus", input.httpStatus],
    ["durationMs", Math.round(input.durationMs * 1000) / 1000],
  ];
  let patchText: string | undefined;
  const { patch, patchJson } = admission;
  if (patch !== undefined && patchJson !== undefined) {
    fields.push(["patchOps", patch.length], ["patchSha256", hash("sha256", patchJson, "hex")]);
    if (patch.length > 0 && logger.isLevelEnabled(auditLevel)) {
      patchText = auditPatchText(patch, admission.patchText ?? JSON.stringify(patch), admission.target ?? null, config, redaction);
    }
  }
  if (input.error === undefined) {
    let text = "";
    for (const [key, value] of fields) text += jsonField(key, value);
    if (patchText !== undefined) text += `,"patch":${patchText}`;
    if (writeRawLine(logger, level, text, AUDIT_MESSAGE)) return;
  }
  // A logger whose format only pino can produce, or an error to serialize: the plain pino call.
  const line: Record<string, unknown> = Object.fromEntries(fields);
  if (patchText !== undefined) line["patch"] = JSON.parse(patchText) as unknown;
  if (input.error !== undefined) line["err"] = input.error;
  logger[level](line, AUDIT_MESSAGE);
}
