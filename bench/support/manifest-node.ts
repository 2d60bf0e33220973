// How the manifests run Node for a component: the V8/Node flags between the node binary and
// bin/agentify.ts in the container's `command`, and whether NODE_COMPILE_CACHE is set. The
// benchmarks start their processes the same way, so they measure what a cluster would run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

export interface NodeSettings {
  /** e.g. ["--max-semi-space-size=1", "--max-old-space-size=96"]; empty when the manifest sets no `command`. */
  flags: string[];
  /** The container's env sets NODE_COMPILE_CACHE (the image ships a warm cache there). */
  compileCache: boolean;
}

interface Container {
  name?: string;
  command?: string[];
  env?: { name?: string; value?: string }[];
}

/** Reads manifests/base/<file> under `root` and returns the settings of container `container`. */
export function manifestNodeSettings(root: string, file: string, container: string): NodeSettings {
  const path = join(root, "manifests", "base", file);
  for (const doc of parseAllDocuments(readFileSync(path, "utf8"))) {
    const object = doc.toJS() as { kind?: string; spec?: { template?: { spec?: { containers?: Container[] } } } } | null;
    if (object?.kind !== "Deployment") continue;
    const found = object.spec?.template?.spec?.containers?.find((c) => c.name === container);
    if (!found) continue;
    const command = found.command ?? [];
    const script = command.findIndex((part) => part.endsWith("agentify.ts"));
    return {
      flags: script > 0 ? command.slice(1, script).filter((part) => part.startsWith("--")) : [],
      compileCache: (found.env ?? []).some((e) => e.name === "NODE_COMPILE_CACHE"),
    };
  }
  throw new Error(`${path}: no Deployment with a container named ${container}`);
}
