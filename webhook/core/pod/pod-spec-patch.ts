// Applies a podSpecPatch (controller-wide or the step's) as a Kubernetes strategic merge patch,
// guarding what a patch may not do: change how the agent, checkout or copy-agent start.
// A patched command on a command container is re-interposed into BUILDKITE_COMMAND, so the
// container keeps running the bootstrap (agent-stack-k8s's PatchPodSpec).
import type { Interposer } from "../config/params.ts";
import type { Container, PodSpec } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { cloneJson, isJsonObject, type JsonObject } from "../json.ts";
import { interpose } from "../interposer.ts";
import { kubeletLiteral } from "../container-edit.ts";
import { AGENT_CONTAINER, CHECKOUT_CONTAINER, COPY_AGENT_CONTAINER, IMAGECHECK_PREFIX } from "../names.ts";
import { isBootstrapContainer, sameStrings } from "./command.ts";
import { PatchError, strategicMergePodSpec } from "../smp/index.ts";

export interface PatchOptions {
  /** Names the patch in errors, e.g. "pod-spec-patch" or "podSpecPatch". */
  source: string;
  interposer: Interposer | undefined;
  allowCommandChanges: boolean;
}

export function applyPodSpecPatch(spec: PodSpec, patch: Record<string, unknown>, options: PatchOptions): PodSpec {
  const guarded = cloneJson(patch) as JsonObject;
  guardContainers(spec, guarded, options);
  guardInitContainers(spec, guarded, options);
  try {
    return strategicMergePodSpec(spec as unknown as JsonObject, guarded) as unknown as PodSpec;
  } catch (err) {
    if (err instanceof PatchError) throw new AgentifyError("invalid-patch", `${options.source}: ${err.message}`);
    throw err;
  }
}

function patchedContainers(patch: JsonObject, field: string, source: string): JsonObject[] {
  const list = patch[field];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new AgentifyError("invalid-patch", `${source}.${field}: expected an array`);
  return list.map((item, i) => {
    if (!isJsonObject(item)) throw new AgentifyError("invalid-patch", `${source}.${field}[${i}]: expected an object`);
    return item;
  });
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === "string");
}

/** command and args in a patch must be string lists (or null, which deletes them). */
function checkCommandTypes(item: JsonObject, where: string): void {
  for (const field of ["command", "args"] as const) {
    const value = item[field];
    if (value !== undefined && value !== null && !isStringList(value)) {
      throw new AgentifyError("invalid-patch", `${where}.${field}: expected an array of strings`);
    }
  }
}

function changesCommand(patch: JsonObject, original: Container | undefined): boolean {
  if (patch.command === undefined && patch.args === undefined) return false;
  if (!original) return true;
  const command = patch.command === undefined ? original.command : (patch.command as string[] | null) ?? undefined;
  const args = patch.args === undefined ? original.args : (patch.args as string[] | null) ?? undefined;
  return !sameStrings(command, original.command) || !sameStrings(args, original.args);
}

function guardContainers(spec: PodSpec, patch: JsonObject, options: PatchOptions): void {
  for (const [i, item] of patchedContainers(patch, "containers", options.source).entries()) {
    const name = item.name;
    if (typeof name !== "string" || name === "") {
      throw new AgentifyError("invalid-patch", `${options.source}.containers[${i}]: a container in a patch needs a name`);
    }
    checkCommandTypes(item, `${options.source}.containers[${i}]`);
    const original = spec.containers.find((c) => c.name === name);
    if (!changesCommand(item, original)) continue;
    if (name === AGENT_CONTAINER || name === CHECKOUT_CONTAINER) {
      if (options.allowCommandChanges) continue;
      const hint = name === CHECKOUT_CONTAINER
        ? "; instead consider configuring a checkout hook or skipping the checkout container entirely"
        : "";
      throw new AgentifyError(
        "forbidden-patch",
        `${options.source}: for the ${name} container, modifying container commands or args via podSpecPatch is not supported${hint}`,
      );
    }
    if (original && isBootstrapContainer(original)) reinterpose(item, options.interposer);
  }
}

/**
 * Moves a patched command into BUILDKITE_COMMAND, escaped so the shell sees it as written; the
 * container keeps running the bootstrap.
 */
function reinterpose(item: JsonObject, mode: Interposer | undefined): void {
  const command = (item.command as string[] | null | undefined) ?? [];
  const args = (item.args as string[] | null | undefined) ?? [];
  delete item.command;
  delete item.args;
  const env = Array.isArray(item.env) ? item.env : [];
  const value = kubeletLiteral(interpose(mode, command, args));
  item.env = [...env.filter((e) => !(isJsonObject(e) && e.name === "BUILDKITE_COMMAND")), { name: "BUILDKITE_COMMAND", value }];
}

function guardInitContainers(spec: PodSpec, patch: JsonObject, options: PatchOptions): void {
  for (const [i, item] of patchedContainers(patch, "initContainers", options.source).entries()) {
    const name = item.name;
    if (typeof name !== "string" || name === "") {
      throw new AgentifyError("invalid-patch", `${options.source}.initContainers[${i}]: a container in a patch needs a name`);
    }
    if (name.startsWith(IMAGECHECK_PREFIX)) {
      throw new AgentifyError("forbidden-patch", `${options.source}: init container name "${name}" is reserved for image checks`);
    }
    checkCommandTypes(item, `${options.source}.initContainers[${i}]`);
    const original = spec.initContainers?.find((c) => c.name === name);
    if (name === COPY_AGENT_CONTAINER && changesCommand(item, original) && !options.allowCommandChanges) {
      throw new AgentifyError(
        "forbidden-patch",
        `${options.source}: for the ${COPY_AGENT_CONTAINER} container, modifying container commands or args via podSpecPatch is not supported`,
      );
    }
  }
}
