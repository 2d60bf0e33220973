// Reads a bare Job: checks the shape of the parts the core touches (the rest is the apiserver's
// business) and the contract's rules, with errors that give the field's path. Hand-written
// rather than a schema library: it runs on every admission, over every env entry.
import type { Job } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { cloneJson } from "../json.ts";
import { isReservedName, JOB_UUID_LABEL } from "../names.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The label's value, or undefined for a Job that is not ours to agentify. */
export function jobUuidLabel(input: unknown): string | undefined {
  const labels = (input as { metadata?: { labels?: unknown } } | null)?.metadata?.labels;
  if (typeof labels !== "object" || labels === null) return undefined;
  const value = (labels as Record<string, unknown>)[JOB_UUID_LABEL];
  return value === undefined ? undefined : String(value);
}

export function readBareJob(input: unknown, uuid: string): Job {
  if (!UUID.test(uuid)) {
    throw new AgentifyError("invalid-uuid", `label ${JOB_UUID_LABEL} must be a Buildkite job UUID, got ${JSON.stringify(uuid)}`);
  }
  if (!hasValidShape(input)) checkShape(input);
  const job = cloneJson(input) as Job;
  checkContainers(job);
  return job;
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

function invalid(path: string, expected: string, value: unknown): never {
  throw new AgentifyError("invalid-job", `invalid Job: ${path}: expected ${expected}, received ${typeName(value)}`);
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) invalid(path, "object", value);
  return value as Record<string, unknown>;
}

function optional(parent: Record<string, unknown>, key: string, path: string, check: (v: unknown, p: string) => void): void {
  if (parent[key] !== undefined) check(parent[key], `${path}.${key}`);
}

const string = (v: unknown, p: string): void => void (typeof v !== "string" && invalid(p, "string", v));
const integer = (v: unknown, p: string): void => void (!Number.isInteger(v) && invalid(p, "integer", v));
const stringMap = (v: unknown, p: string): void => {
  for (const [k, x] of Object.entries(object(v, p))) string(x, `${p}.${k}`);
};

function list(v: unknown, p: string, item: (x: unknown, p: string) => void): void {
  if (!Array.isArray(v)) invalid(p, "array", v);
  (v as unknown[]).forEach((x, i) => item(x, `${p}[${i}]`));
}

function named(v: unknown, p: string): Record<string, unknown> {
  const o = object(v, p);
  if (typeof o.name !== "string" || o.name === "") invalid(`${p}.name`, "non-empty string", o.name);
  return o;
}

function container(v: unknown, p: string): void {
  const c = object(v, p);
  for (const key of ["name", "image", "workingDir", "imagePullPolicy"]) optional(c, key, p, string);
  for (const key of ["command", "args"]) optional(c, key, p, (x, q) => list(x, q, string));
  optional(c, "env", p, (x, q) => list(x, q, (e, r) => optional(named(e, r), "value", r, string)));
  optional(c, "volumeMounts", p, (x, q) => list(x, q, (m, r) => optional(named(m, r), "mountPath", r, string)));
  optional(c, "envFrom", p, (x, q) => list(x, q, object));
  optional(c, "securityContext", p, object);
  optional(c, "resources", p, object);
}

function meta(v: unknown, p: string): void {
  const m = object(v, p);
  optional(m, "labels", p, stringMap);
  optional(m, "annotations", p, stringMap);
}

// The same rules as checkShape below, as a yes/no answer: no path strings, no closures. Every
// admission takes this path; only a Job it refuses goes through checkShape, which names the field.
type Check = (v: unknown) => boolean;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isString = (v: unknown): boolean => typeof v === "string";
const isInteger = (v: unknown): boolean => Number.isInteger(v);
const absentOr = (v: unknown, check: Check): boolean => v === undefined || check(v);
function isListOf(v: unknown, item: Check): boolean {
  if (!Array.isArray(v)) return false;
  for (const x of v) if (!item(x)) return false;
  return true;
}
function isStringMap(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const key in v) if (Object.hasOwn(v, key) && typeof v[key] !== "string") return false;
  return true;
}
const isStringList = (v: unknown): boolean => isListOf(v, isString);
const isNamed = (v: unknown): v is Record<string, unknown> => isObject(v) && typeof v.name === "string" && v.name !== "";
const isEnvVar = (v: unknown): boolean => isNamed(v) && absentOr(v.value, isString);
const isMount = (v: unknown): boolean => isNamed(v) && absentOr(v.mountPath, isString);
const isEnvList = (v: unknown): boolean => isListOf(v, isEnvVar);
const isMountList = (v: unknown): boolean => isListOf(v, isMount);
const isObjectList = (v: unknown): boolean => isListOf(v, isObject);
const isMeta = (v: unknown): boolean => isObject(v) && absentOr(v.labels, isStringMap) && absentOr(v.annotations, isStringMap);

function isContainer(v: unknown): boolean {
  return isObject(v) &&
    absentOr(v.name, isString) && absentOr(v.image, isString) && absentOr(v.workingDir, isString) && absentOr(v.imagePullPolicy, isString) &&
    absentOr(v.command, isStringList) && absentOr(v.args, isStringList) && absentOr(v.env, isEnvList) &&
    absentOr(v.volumeMounts, isMountList) && absentOr(v.envFrom, isObjectList) &&
    absentOr(v.securityContext, isObject) && absentOr(v.resources, isObject);
}
const isContainerList = (v: unknown): boolean => isListOf(v, isContainer);
const isNamedList = (v: unknown): boolean => isListOf(v, isNamed);
const isPodSecurityContext = (v: unknown): boolean => isObject(v) && absentOr(v.runAsUser, isInteger) && absentOr(v.runAsGroup, isInteger);

export function hasValidShape(input: unknown): boolean {
  if (!isObject(input) || (input.kind !== undefined && input.kind !== "Job") || !isMeta(input.metadata) || !isObject(input.spec)) return false;
  const template = input.spec.template;
  if (!isObject(template) || !absentOr(template.metadata, isMeta) || !isObject(template.spec)) return false;
  const spec = template.spec;
  return isContainerList(spec.containers) && absentOr(spec.initContainers, isContainerList) && absentOr(spec.volumes, isNamedList) &&
    absentOr(spec.terminationGracePeriodSeconds, isInteger) && absentOr(spec.securityContext, isPodSecurityContext);
}

export function checkShape(input: unknown): void {
  const job = object(input, "(root)");
  if (job.kind !== undefined && job.kind !== "Job") invalid("kind", '"Job"', job.kind);
  meta(job.metadata, "metadata");
  const template = object(object(job.spec, "spec").template, "spec.template");
  optional(template, "metadata", "spec.template", meta);
  const p = "spec.template.spec";
  const spec = object(template.spec, p);
  list(spec.containers, `${p}.containers`, container);
  optional(spec, "initContainers", p, (x, q) => list(x, q, container));
  optional(spec, "volumes", p, (x, q) => list(x, q, named));
  optional(spec, "terminationGracePeriodSeconds", p, integer);
  optional(spec, "securityContext", p, (x, q) => {
    const sc = object(x, q);
    optional(sc, "runAsUser", q, integer);
    optional(sc, "runAsGroup", q, integer);
  });
}

function checkContainers(job: Job): void {
  const spec = job.spec.template.spec;
  if (spec.containers.length === 0) {
    throw new AgentifyError("no-containers", "spec.template.spec.containers is empty: a bare Job needs at least one command container");
  }
  const seen = new Set<string>();
  const all = [...spec.containers.map((c, i) => c.name || `container-${i}`), ...(spec.initContainers ?? []).map((c) => c.name ?? "")];
  for (const name of all) {
    if (isReservedName(name)) {
      throw new AgentifyError("reserved-name", `container name "${name}" is reserved (agent, checkout, copy-agent and imagecheck-* are added by agentify)`);
    }
    if (seen.has(name)) throw new AgentifyError("duplicate-container", `container name "${name}" is used more than once`);
    seen.add(name);
  }
}
