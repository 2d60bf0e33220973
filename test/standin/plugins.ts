// Turns a step's `plugins:` into the BUILDKITE_PLUGINS value Buildkite sends:
// a JSON array of single-key objects whose keys are expanded plugin sources,
// e.g. `[{"github.com/buildkite-plugins/kubernetes-buildkite-plugin":{"podSpec":{}}}]`.
// The `kubernetes` shorthand has no version, so its key is exactly the one the
// controller looks for.
import type { JsonValue, PluginsSpec } from "./types.ts";

/**
 * Expands plugin shorthand the way Buildkite does:
 * `docker#v5` → `github.com/buildkite-plugins/docker-buildkite-plugin#v5`,
 * `acme/thing` → `github.com/acme/thing-buildkite-plugin`; full sources stay as written.
 */
export function expandPluginSource(name: string): string {
  const hashAt = name.indexOf("#");
  const base = hashAt === -1 ? name : name.slice(0, hashAt);
  const version = hashAt === -1 ? "" : name.slice(hashAt);
  if (base.includes("://") || base.startsWith(".") || base.startsWith("/")) return name;
  const parts = base.split("/");
  if (parts.length > 2) return name; // already has a host, e.g. github.com/org/repo
  const [org, repo] = parts.length === 1 ? ["buildkite-plugins", parts[0] ?? ""] : [parts[0] ?? "", parts[1] ?? ""];
  const fullRepo = repo.endsWith("-buildkite-plugin") ? repo : `${repo}-buildkite-plugin`;
  return `github.com/${org}/${fullRepo}${version}`;
}

/** Normalises every accepted `plugins:` form to `[{ source: config }]`. */
export function normalisePlugins(spec: PluginsSpec): Record<string, JsonValue>[] {
  const entries: [string, JsonValue][] = [];
  if (Array.isArray(spec)) {
    for (const entry of spec) {
      if (typeof entry === "string") {
        entries.push([entry, null]);
        continue;
      }
      const keys = Object.keys(entry);
      if (keys.length !== 1) throw new Error(`a plugin entry must have exactly one key, got ${JSON.stringify(keys)}`);
      const key = keys[0] as string;
      entries.push([key, entry[key] ?? null]);
    }
  } else {
    for (const [key, config] of Object.entries(spec)) entries.push([key, config]);
  }
  return entries.map(([name, config]) => ({ [expandPluginSource(name)]: config }));
}

export function pluginsEnvValue(spec: PluginsSpec): string {
  return JSON.stringify(normalisePlugins(spec));
}
