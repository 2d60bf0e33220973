// Bare Jobs as the dispatcher would create them, and the reading side: the Pods the Job
// controller makes, events, and normalising server-set fields away for comparisons.
import { randomUUID } from "node:crypto";
import { JOB_UUID_LABEL } from "../../../../webhook/core/index.ts";
import type { JsonObject, JsonValue } from "../../../../webhook/core/index.ts";
import { eventsPath, podsPath } from "../../support/api.ts";
import type { KubeApi } from "../../support/api.ts";

export interface BareJobOptions {
  namespace: string;
  /** Default: a fresh UUID. null: no job-uuid label at all. */
  uuid?: string | null;
  name?: string;
  containers?: JsonObject[];
  podSpec?: JsonObject;
  annotations?: Record<string, string>;
}

export const DEFAULT_CONTAINERS: readonly JsonObject[] = [
  { name: "build", image: "alpine:3.20", command: ["echo hello", "make test"] },
  { name: "lint", image: "node:22", command: ["npm run lint"], env: [{ name: "CI", value: "true" }] },
];

/** A suspended Job labelled with a job UUID, like the dispatcher creates before agentify runs. */
export function bareJob(opts: BareJobOptions): JsonObject {
  const uuid = opts.uuid === undefined ? randomUUID() : opts.uuid;
  const labels: Record<string, string> = uuid === null ? {} : { [JOB_UUID_LABEL]: uuid };
  const metadata: JsonObject = { name: opts.name ?? `buildkite-${uuid ?? randomUUID()}`, namespace: opts.namespace, labels };
  if (opts.annotations) metadata["annotations"] = opts.annotations;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata,
    spec: {
      suspend: true,
      backoffLimit: 0,
      template: { spec: { restartPolicy: "Never", ...opts.podSpec, containers: structuredClone([...(opts.containers ?? DEFAULT_CONTAINERS)]) } },
    },
  };
}

const SERVER_METADATA = ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"];
const CONTROLLER_UID_LABELS = ["batch.kubernetes.io/controller-uid", "controller-uid"];

function withoutKeys(object: JsonValue | undefined, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  if (object === null || typeof object !== "object" || Array.isArray(object)) return out;
  for (const [k, v] of Object.entries(object)) if (!keys.includes(k)) out[k] = v;
  return out;
}

/**
 * A stored (or dry-run created) Job without what differs between two creates of the same
 * object: server metadata, status, and the controller-uid selector/labels the apiserver makes
 * from the object's uid.
 */
export function comparableJob(job: JsonObject): JsonObject {
  const metadata = withoutKeys(job["metadata"], SERVER_METADATA);
  // A Job without labels gets its template's, controller-uid included.
  if (metadata["labels"] !== undefined) metadata["labels"] = withoutKeys(metadata["labels"], CONTROLLER_UID_LABELS);
  const spec = withoutKeys(job["spec"], ["selector"]);
  const template = withoutKeys(spec["template"], []);
  const templateMetadata = withoutKeys(template["metadata"], []);
  templateMetadata["labels"] = withoutKeys(templateMetadata["labels"], CONTROLLER_UID_LABELS);
  template["metadata"] = templateMetadata;
  spec["template"] = template;
  return { apiVersion: job["apiVersion"] ?? null, kind: job["kind"] ?? null, metadata, spec };
}

export const podSpecOf = (job: JsonObject): JsonObject => ((job["spec"] as JsonObject)["template"] as JsonObject)["spec"] as JsonObject;
export const containersOf = (spec: JsonObject, field: "containers" | "initContainers" = "containers"): JsonObject[] =>
  (spec[field] as JsonObject[] | undefined) ?? [];
export const names = (containers: JsonObject[]): string[] => containers.map((c) => String(c["name"]));

/** Pods the Job controller created for `jobName` (label batch.kubernetes.io/job-name). */
export async function podsOfJob(api: KubeApi, namespace: string, jobName: string): Promise<JsonObject[]> {
  const selector = encodeURIComponent(`batch.kubernetes.io/job-name=${jobName}`);
  const list = await api.get(`${podsPath(namespace)}?labelSelector=${selector}`);
  return (list["items"] as JsonObject[] | undefined) ?? [];
}

/** Events about one object, oldest first, as "Reason: message". */
export async function eventsFor(api: KubeApi, namespace: string, kind: string, name: string): Promise<string[]> {
  const selector = encodeURIComponent(`involvedObject.kind=${kind},involvedObject.name=${name}`);
  const list = await api.get(`${eventsPath(namespace)}?fieldSelector=${selector}`);
  return ((list["items"] as JsonObject[] | undefined) ?? []).map((e) => `${String(e["reason"])}: ${String(e["message"])}`);
}

/**
 * The stored Job with `value: ""` put back on env vars that have neither value nor valueFrom:
 * the apiserver drops empty strings (omitempty), the checklist reads the value.
 */
export function withEmptyEnvValues(job: JsonObject): JsonObject {
  const copy = structuredClone(job);
  const spec = podSpecOf(copy);
  for (const c of [...containersOf(spec, "initContainers"), ...containersOf(spec)]) {
    for (const e of (c["env"] as JsonObject[] | undefined) ?? []) {
      if (e["value"] === undefined && e["valueFrom"] === undefined) e["value"] = "";
    }
  }
  return copy;
}
