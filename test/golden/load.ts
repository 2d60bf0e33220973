// Golden cases: every `<case>.yaml` under test/golden (recursively) is an input; a folder's
// `config.yaml` is the config of its cases. Expected outputs sit beside the input:
// `<case>.agentified.yaml` + `<case>.patch.json`, or `<case>.error.txt` for refused input.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseConfig, type Config } from "../../webhook/core/index.ts";

export const GOLDEN_DIR = fileURLToPath(new URL(".", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUTPUT_SUFFIXES = [".agentified.yaml", ".patch.json", ".error.txt"];

export interface GoldenCase {
  name: string; // path relative to test/golden, without .yaml
  inputPath: string;
  /** How the CLI names the file in messages: relative to the repository root. */
  source: string;
  inputText: string;
  configPath: string | undefined;
  config: Config;
  agentifiedPath: string;
  patchPath: string;
  errorPath: string;
}

function isInput(file: string): boolean {
  return file.endsWith(".yaml") && file !== "config.yaml" && !OUTPUT_SUFFIXES.some((s) => file.endsWith(s));
}

export function goldenCases(dir = GOLDEN_DIR): GoldenCase[] {
  const cases: GoldenCase[] = [];
  const configPath = existsSync(join(dir, "config.yaml")) ? join(dir, "config.yaml") : undefined;
  const config = parseConfig(configPath ? readFileSync(configPath, "utf8") : "", configPath ?? "defaults");
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      cases.push(...goldenCases(path));
      continue;
    }
    if (!isInput(entry)) continue;
    const base = path.slice(0, -".yaml".length);
    cases.push({
      name: relative(GOLDEN_DIR, base),
      inputPath: path,
      source: relative(REPO_ROOT, path),
      inputText: readFileSync(path, "utf8"),
      configPath,
      config,
      agentifiedPath: `${base}.agentified.yaml`,
      patchPath: `${base}.patch.json`,
      errorPath: `${base}.error.txt`,
    });
  }
  return cases;
}

/** Output files with no input beside them: left over from renamed or deleted cases. */
export function orphanedOutputs(dir = GOLDEN_DIR): string[] {
  const orphans: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      orphans.push(...orphanedOutputs(path));
      continue;
    }
    const suffix = OUTPUT_SUFFIXES.find((s) => entry.endsWith(s));
    if (suffix && !existsSync(`${path.slice(0, -suffix.length)}.yaml`)) orphans.push(relative(GOLDEN_DIR, path));
  }
  return orphans;
}
