// Loading the configuration: YAML text → validated Config, with errors that name the key.
import { parse as parseYaml } from "yaml";
import { configSchema, type Config } from "./schema.ts";
import { formatIssues } from "./issues.ts";
import { validatePodSpecPatch } from "./validate-pod-spec-patch.ts";
import { jwksProblem } from "./jwks.ts";

export type { Config, AgentConfig, ResourceClass } from "./schema.ts";

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses and validates a config file's text. `source` names the file in error messages. */
export function parseConfig(text: string, source: string): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${source}: invalid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  return configFromObject(raw ?? {}, source);
}

export function configFromObject(raw: unknown, source: string): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`${source}: ${formatIssues(parsed.error.issues)}`);
  const config = parsed.data;
  const problem = checkCrossFields(config);
  if (problem) throw new ConfigError(`${source}: ${problem}`);
  return config;
}

export function defaultConfig(): Config {
  return configSchema.parse({});
}

function checkCrossFields(config: Config): string | undefined {
  const classes = config["resource-classes"];
  const defaultClass = config["default-resource-class-name"];
  if (defaultClass) {
    if (!classes) return "default-resource-class-name: resource classes not configured but default-resource-class-name is set";
    if (!(defaultClass in classes)) return `default-resource-class-name: default resource class not found: ${defaultClass}`;
  }
  const jwks = jwksProblem(config["agent-config"]);
  if (jwks) return jwks;
  const patch = config["pod-spec-patch"];
  if (patch) return validatePodSpecPatch(patch, config["allow-pod-spec-patch-unsafe-command-modification"]);
  return undefined;
}
