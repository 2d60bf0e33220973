// The compact records the informers keep: only what the dispatcher decides on. Each reader takes
// either a typed client-node object (from a list; timestamps are Date) or raw watch JSON
// (timestamps are strings).
import { AGENTIFIED_ANNOTATION, JOB_UUID_LABEL } from "../job/names.ts";

export interface JobFacts {
  name: string;
  uid: string;
  resourceVersion: string;
  uuid: string;
  createdAt: number;
  startedAt: number | undefined;
  suspended: boolean;
  agentified: boolean;
  /** "Complete" or "Failed" once the Job has ended, with that condition's reason and message. */
  finished: { type: "Complete" | "Failed"; reason: string; message: string } | undefined;
  active: number;
  succeeded: number;
  failed: number;
  /** Any pod was ever counted for this Job. */
  hadPods: boolean;
}

export interface ContainerFacts {
  name: string;
  image: string;
  init: boolean;
  /** Init container with restartPolicy Always (a native sidecar), which may restart. */
  sidecar: boolean;
  waiting: { reason: string; message: string } | undefined;
  terminated: { exitCode: number; signal: number | undefined; reason: string; message: string } | undefined;
  running: boolean;
}

export interface PodFacts {
  name: string;
  uid: string;
  resourceVersion: string;
  uuid: string;
  createdAt: number;
  startedAt: number | undefined;
  phase: string;
  deleting: boolean;
  conditions: { type: string; status: string; reason: string; message: string }[];
  containers: ContainerFacts[];
}

type Loose = Record<string, unknown>;

function obj(value: unknown): Loose {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : {};
}

function list(value: unknown): Loose[] {
  return Array.isArray(value) ? value.map(obj) : [];
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function num(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

export function millis(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === "string" && value !== "") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function meta(object: unknown): { name: string; uid: string; resourceVersion: string; uuid: string; createdAt: number; annotations: Loose; deleting: boolean } | undefined {
  const metadata = obj(obj(object)["metadata"]);
  const uuid = str(obj(metadata["labels"])[JOB_UUID_LABEL]);
  const name = str(metadata["name"]);
  if (!name || !uuid) return undefined;
  return {
    name,
    uid: str(metadata["uid"]),
    resourceVersion: str(metadata["resourceVersion"]),
    uuid,
    createdAt: millis(metadata["creationTimestamp"]) ?? Date.now(),
    annotations: obj(metadata["annotations"]),
    deleting: metadata["deletionTimestamp"] !== undefined && metadata["deletionTimestamp"] !== null,
  };
}

export function jobFacts(object: unknown): JobFacts | undefined {
  const m = meta(object);
  if (!m) return undefined;
  const spec = obj(obj(object)["spec"]);
  const status = obj(obj(object)["status"]);
  const ended = list(status["conditions"]).find((c) => (c["type"] === "Complete" || c["type"] === "Failed") && c["status"] === "True");
  const uncounted = obj(status["uncountedTerminatedPods"]);
  const active = num(status["active"]);
  const succeeded = num(status["succeeded"]);
  const failed = num(status["failed"]);
  return {
    name: m.name,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
    uuid: m.uuid,
    createdAt: m.createdAt,
    startedAt: millis(status["startTime"]),
    suspended: spec["suspend"] === true,
    agentified: typeof m.annotations[AGENTIFIED_ANNOTATION] === "string",
    finished: ended
      ? { type: ended["type"] as "Complete" | "Failed", reason: str(ended["reason"]), message: str(ended["message"]) }
      : undefined,
    active,
    succeeded,
    failed,
    hadPods: active + succeeded + failed + num(status["terminating"]) > 0
      || list(uncounted["failed"]).length + list(uncounted["succeeded"]).length > 0,
  };
}

function containerFacts(spec: Loose, statuses: Loose[], init: boolean): ContainerFacts {
  const name = str(spec["name"]);
  const status = statuses.find((s) => s["name"] === name) ?? {};
  const state = obj(status["state"]);
  const waiting = state["waiting"] ? obj(state["waiting"]) : undefined;
  const terminated = state["terminated"] ? obj(state["terminated"]) : undefined;
  return {
    name,
    image: str(spec["image"]),
    init,
    sidecar: init && spec["restartPolicy"] === "Always",
    waiting: waiting ? { reason: str(waiting["reason"]), message: str(waiting["message"]) } : undefined,
    terminated: terminated
      ? {
        exitCode: num(terminated["exitCode"]),
        signal: typeof terminated["signal"] === "number" ? terminated["signal"] : undefined,
        reason: str(terminated["reason"]),
        message: str(terminated["message"]),
      }
      : undefined,
    running: state["running"] !== undefined && state["running"] !== null,
  };
}

export function podFacts(object: unknown): PodFacts | undefined {
  const m = meta(object);
  if (!m) return undefined;
  const spec = obj(obj(object)["spec"]);
  const status = obj(obj(object)["status"]);
  const initStatuses = list(status["initContainerStatuses"]);
  const statuses = list(status["containerStatuses"]);
  return {
    name: m.name,
    uid: m.uid,
    resourceVersion: m.resourceVersion,
    uuid: m.uuid,
    createdAt: m.createdAt,
    startedAt: millis(status["startTime"]),
    phase: str(status["phase"]) || "Pending",
    deleting: m.deleting,
    conditions: list(status["conditions"]).map((c) => ({
      type: str(c["type"]), status: str(c["status"]), reason: str(c["reason"]), message: str(c["message"]),
    })),
    containers: [
      ...list(spec["initContainers"]).map((c) => containerFacts(c, initStatuses, true)),
      ...list(spec["containers"]).map((c) => containerFacts(c, statuses, false)),
    ],
  };
}
