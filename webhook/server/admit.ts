// The admission decision for one decoded review: gate, default the namespace, ask the
// core, turn its outcome into an AdmissionResponse. No HTTP here (that is handler.ts).
import { isJsonObject } from "../core/json.ts";
import type { AgentifyOutcome, Config, JsonObject, JsonValue, PatchOperation } from "../core/index.ts";
import type { DecodedReview } from "./decode.ts";
import { gate } from "./gate.ts";
import type { RequestFacts } from "./gate.ts";
import { allowed, patched, rejected } from "./response.ts";
import type { AdmissionResponse } from "./review.ts";

/** The two core functions the webhook calls; injectable so tests can make the core fail. */
export interface AdmissionCore {
  tryAgentify(job: JsonObject, config: Config): AgentifyOutcome;
  patchFor(original: JsonValue, target: JsonValue): PatchOperation[];
}

export type AdmissionResult = "agentified" | "unchanged" | "denied" | "error";

export interface Admission {
  result: AdmissionResult;
  /** Bounded token (a metric label): a core reason, a gate reason or a transport reason. */
  reason: string;
  response: AdmissionResponse;
  jobUuid?: string;
  patch?: PatchOperation[];
  /** The exact bytes whose base64 is `response.patch`. */
  patchJson?: Buffer;
  /** The same JSON as text, serialized once for the answer and reused by the audit line. */
  patchText?: string;
  /** The agentified Job the patch leads to (redaction looks up env names in it). */
  target?: JsonObject;
  /** Free text for the log (never a metric label). */
  detail?: string;
}

/**
 * The apiserver fills `metadata.namespace` from the URL before admission, but a review
 * replayed from elsewhere may lack it, and the core names things after the namespace.
 */
function withNamespace(job: JsonObject, namespace: string): JsonObject {
  const metadata = job["metadata"];
  if (namespace === "" || !isJsonObject(metadata) || typeof metadata["namespace"] === "string") return job;
  return { ...job, metadata: { ...metadata, namespace } };
}

/** Undo withNamespace on the result, so the patch does not carry an op we caused ourselves. */
function withoutDefaultedNamespace(original: JsonObject, target: JsonObject, namespace: string): JsonObject {
  const before = original["metadata"];
  const after = target["metadata"];
  if (!isJsonObject(before) || !isJsonObject(after)) return target;
  if (before["namespace"] !== undefined || after["namespace"] !== namespace) return target;
  const { namespace: _defaulted, ...metadata } = after;
  return { ...target, metadata };
}

function fromOutcome(outcome: AgentifyOutcome, original: JsonObject, facts: RequestFacts, uid: string, core: AdmissionCore): Admission {
  switch (outcome.result) {
    case "unchanged":
      return { result: "unchanged", reason: outcome.reason, response: allowed(uid) };
    case "denied": {
      // The core's message goes out verbatim: kubectl and the dispatcher show it to the user.
      const denial: Admission = { result: "denied", reason: outcome.reason, response: rejected(uid, 400, outcome.message), detail: outcome.message };
      if (outcome.jobUuid !== undefined) denial.jobUuid = outcome.jobUuid;
      return denial;
    }
    case "agentified": {
      const target = withoutDefaultedNamespace(original, outcome.job, facts.namespace);
      const patch = core.patchFor(original, target);
      const patchText = patch.length === 0 ? "" : JSON.stringify(patch);
      const patchJson = Buffer.from(patchText, "utf8");
      const response = patched(uid, patchJson, { "job-uuid": outcome.jobUuid });
      return { result: "agentified", reason: "agentified", response, jobUuid: outcome.jobUuid, patch, patchJson, patchText, target };
    }
  }
}

export function admit(review: DecodedReview, facts: RequestFacts, core: AdmissionCore, config: Config): Admission {
  const skip = gate(facts);
  if (skip !== undefined) return { result: "unchanged", reason: skip.reason, response: allowed(review.uid), detail: skip.detail };
  const object = review.request["object"];
  if (!isJsonObject(object)) {
    const message = "request.object is not a JSON object";
    return { result: "error", reason: "invalid-review", response: rejected(review.uid, 400, message), detail: message };
  }
  const outcome = core.tryAgentify(withNamespace(object, facts.namespace), config);
  return fromOutcome(outcome, object, facts, review.uid, core);
}
