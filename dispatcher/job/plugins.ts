// Reads BUILDKITE_PLUGINS (a JSON array of single-key objects, keys being expanded plugin
// sources) and pulls out the kubernetes plugin's configuration, validated with the same schema
// the webhook uses, so a typo fails the job here with the path of the bad field.
import { formatIssues } from "../../webhook/core/config/issues.ts";
import { kubernetesPluginSchema } from "../../webhook/core/plugin/schema.ts";
import type { KubernetesPlugin } from "../../webhook/core/plugin/schema.ts";

export const KUBERNETES_PLUGIN_SOURCE = "github.com/buildkite-plugins/kubernetes-buildkite-plugin";

/** A job that cannot be turned into a Kubernetes Job; the message goes to Buildkite. */
export class JobParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JobParseError";
  }
}

export interface JobPlugins {
  /** The validated kubernetes plugin config, if the job uses the plugin. */
  kubernetes: KubernetesPlugin | undefined;
  /** The plugin config exactly as the step gave it, as JSON (for the annotation). */
  kubernetesJson: string | undefined;
}

/** `github.com/buildkite-plugins/kubernetes-buildkite-plugin` with or without `#<version>`. */
export function isKubernetesPluginSource(source: string): boolean {
  const hashAt = source.indexOf("#");
  const base = (hashAt === -1 ? source : source.slice(0, hashAt)).replace(/^https?:\/\//, "").replace(/\.git$/, "");
  return base === KUBERNETES_PLUGIN_SOURCE || base === "kubernetes";
}

export function parseJobPlugins(pluginsEnv: string | undefined, opts: { prohibitKubernetesPlugin: boolean }): JobPlugins {
  if (pluginsEnv === undefined || pluginsEnv.trim() === "") return { kubernetes: undefined, kubernetesJson: undefined };
  let plugins: unknown;
  try {
    plugins = JSON.parse(pluginsEnv);
  } catch (err) {
    throw new JobParseError(`failed parsing plugins: ${(err as Error).message}`);
  }
  if (plugins === null) return { kubernetes: undefined, kubernetesJson: undefined };
  if (!Array.isArray(plugins)) throw new JobParseError("failed parsing plugins: BUILDKITE_PLUGINS is not a JSON array");

  let found: { config: unknown } | undefined;
  for (const entry of plugins) {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry) || Object.keys(entry).length !== 1) {
      throw new JobParseError(`found invalid plugin: ${JSON.stringify(entry)}`);
    }
    const [source, config] = Object.entries(entry as Record<string, unknown>)[0] as [string, unknown];
    if (!isKubernetesPluginSource(source)) continue;
    if (found) throw new JobParseError("the kubernetes plugin is configured more than once on this step");
    found = { config };
  }
  if (!found) return { kubernetes: undefined, kubernetesJson: undefined };
  if (opts.prohibitKubernetesPlugin) {
    throw new JobParseError("the kubernetes plugin is prohibited by this dispatcher (prohibit-kubernetes-plugin), but was configured on this job");
  }
  const config = found.config ?? {};
  const parsed = kubernetesPluginSchema.safeParse(config);
  if (!parsed.success) throw new JobParseError(`failed parsing Kubernetes plugin: ${formatIssues(parsed.error.issues)}`);
  return { kubernetes: parsed.data, kubernetesJson: JSON.stringify(config) };
}
