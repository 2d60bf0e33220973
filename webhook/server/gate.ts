// Which admission requests reach the core: CREATE of a batch/v1 Job, nothing else.
// Checked before `request.object` is decoded, because the object of any other kind is
// not a Job, and a Job's pod template is immutable after create (never patch UPDATE).
import { isJsonObject } from "../core/json.ts";
import type { JsonObject, JsonValue } from "../core/index.ts";

/** Bounded reasons for letting a request through unchanged without asking the core. */
export type GateSkipReason = "not-a-job" | "not-jobs-resource" | "subresource" | "not-create";
export const GATE_SKIP_REASONS: readonly GateSkipReason[] = ["not-a-job", "not-jobs-resource", "subresource", "not-create"];

/** What the webhook reads from `request`, coerced from whatever was sent. */
export interface RequestFacts {
  kind: string;
  resource: string;
  subResource: string;
  operation: string;
  dryRun: boolean;
  namespace: string;
  /** `request.name`, empty for objects created with generateName. */
  name: string;
}

function text(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : "";
}

function field(object: JsonValue | undefined, key: string): string {
  return isJsonObject(object) ? text(object[key]) : "";
}

/** "group/version, Kind=kind", as the apiserver prints a GroupVersionKind. */
function gvk(value: JsonValue | undefined): string {
  return `${field(value, "group")}/${field(value, "version")}, Kind=${field(value, "kind")}`;
}

function gvr(value: JsonValue | undefined): string {
  return `${field(value, "group")}/${field(value, "version")}, Resource=${field(value, "resource")}`;
}

export function requestFacts(request: JsonObject): RequestFacts {
  return {
    kind: gvk(request["kind"]),
    resource: gvr(request["resource"]),
    subResource: text(request["subResource"]),
    operation: text(request["operation"]),
    dryRun: request["dryRun"] === true,
    namespace: text(request["namespace"]),
    name: text(request["name"]),
  };
}

const JOB_KIND = "batch/v1, Kind=Job";
const JOBS_RESOURCE = "batch/v1, Resource=jobs";

export interface GateDecision {
  reason: GateSkipReason;
  /** For the log: what was found instead. */
  detail: string;
}

/** undefined = the request goes to the core; otherwise it is allowed unchanged. */
export function gate(facts: RequestFacts): GateDecision | undefined {
  if (facts.kind !== JOB_KIND) return { reason: "not-a-job", detail: `kind ${facts.kind}` };
  if (facts.resource !== JOBS_RESOURCE) return { reason: "not-jobs-resource", detail: `resource ${facts.resource}` };
  if (facts.subResource !== "") return { reason: "subresource", detail: `subResource ${facts.subResource}` };
  if (facts.operation !== "CREATE") return { reason: "not-create", detail: `operation ${facts.operation}` };
  return undefined;
}
