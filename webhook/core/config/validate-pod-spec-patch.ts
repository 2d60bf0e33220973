// Startup checks of the controller's `pod-spec-patch`, as agent-stack-k8s does them:
// it may not set commands (that would bypass the agent) and images must be lowercase.
import { isJsonObject } from "../json.ts";

export function validatePodSpecPatch(patch: Record<string, unknown>, allowCommands: boolean): string | undefined {
  for (const field of ["containers", "initContainers"] as const) {
    const list = patch[field];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) return `pod-spec-patch.${field}: expected an array`;
    for (const [i, item] of list.entries()) {
      if (!isJsonObject(item)) return `pod-spec-patch.${field}[${i}]: expected an object`;
      const where = `pod-spec-patch.${field}[${i}]`;
      if (typeof item.image === "string" && item.image !== item.image.toLowerCase()) {
        return `${where}.image: container image ${JSON.stringify(item.image)} must be lowercase`;
      }
      if (!allowCommands && (item.command !== undefined || item.args !== undefined)) {
        return `${where}: modifying container commands or args via pod-spec-patch is not supported (set allow-pod-spec-patch-unsafe-command-modification to allow it)`;
      }
    }
  }
  return undefined;
}
