// Resource classes: a named size (`resource_class` tag or the default) that sets requests and
// limits of the command containers, pod-level resources and a node selector.
import type { Config } from "../config/index.ts";
import type { PodSpec, ResourceRequirements } from "../k8s.ts";
import { AgentifyError } from "../errors.ts";
import { hasEnv } from "../container-edit.ts";

export function applyResourceClass(spec: PodSpec, config: Config, tags: ReadonlyMap<string, string>): string | undefined {
  const classes = config["resource-classes"];
  const fromTag = tags.get("resource_class");
  const name = fromTag ?? (config["default-resource-class-name"] || undefined);
  if (name === undefined) return undefined;
  if (!classes) {
    throw new AgentifyError("resource-class", "resource classes not configured but resource_class tag specified");
  }
  const resourceClass = classes[name];
  if (!resourceClass) {
    throw new AgentifyError("resource-class", fromTag ? `resource class not found: ${name}` : `default resource class not found: ${name}`);
  }
  if (resourceClass.nodeSelector) spec.nodeSelector = { ...spec.nodeSelector, ...resourceClass.nodeSelector };
  const resource = resourceClass.resource as ResourceRequirements | undefined;
  if (resource) {
    for (const c of spec.containers) if (hasEnv(c, "BUILDKITE_COMMAND")) c.resources = mergeResources(c.resources, resource);
  }
  if (resourceClass.podResource) spec.resources = mergeResources(spec.resources, resourceClass.podResource as ResourceRequirements);
  return name;
}

function mergeResources(base: ResourceRequirements | undefined, extra: ResourceRequirements): ResourceRequirements {
  const merged: ResourceRequirements = { ...base };
  for (const key of ["requests", "limits"] as const) {
    if (extra[key]) merged[key] = { ...base?.[key], ...extra[key] };
  }
  return merged;
}
