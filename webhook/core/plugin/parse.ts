// Reads the plugin annotation. Every problem becomes an AgentifyError whose message
// names the annotation and the JSON path, so the step's author can find the typo.
import { AgentifyError } from "../errors.ts";
import { formatIssues } from "../config/issues.ts";
import { PLUGIN_ANNOTATION } from "../names.ts";
import { kubernetesPluginSchema, type KubernetesPlugin } from "./schema.ts";

export type { KubernetesPlugin } from "./schema.ts";

export function parsePluginAnnotation(text: string | undefined): KubernetesPlugin {
  if (text === undefined || text.trim() === "") return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AgentifyError("invalid-plugin", `annotation ${PLUGIN_ANNOTATION}: invalid JSON: ${(err as Error).message}`);
  }
  if (raw === null) return {};
  const parsed = kubernetesPluginSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AgentifyError("invalid-plugin", `annotation ${PLUGIN_ANNOTATION}: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}
