// The dispatcher's settings, with agent-stack-k8s's precedence:
//   defaults < config file < environment < command-line flags
// Every layer is merged before validation, so a later layer may set a key to 0, false or [].
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { configFromObject, ConfigError } from "../../webhook/core/config/index.ts";
import type { Config } from "../../webhook/core/index.ts";
import { DISPATCHER_OPTIONS, envName, flagAttribute, parseOptionValue } from "./options.ts";

export interface DispatcherSettings {
  config: Config;
  configPath: string | undefined;
  kubeconfigPath: string | undefined;
  endpoint: string | undefined;
}

export interface SettingsInput {
  /** commander's parsed options (camelCase attributes; values are raw strings or true). */
  flags: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
}

function readConfigObject(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${path}: invalid YAML: ${(err as Error).message.split("\n")[0]}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(`${path}: expected a YAML mapping of options`);
  return raw as Record<string, unknown>;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

export function resolveSettings(input: SettingsInput): DispatcherSettings {
  const { flags, env } = input;
  const configPath = text(flags["config"]) ?? text(env["CONFIG"]);
  const merged: Record<string, unknown> = configPath ? readConfigObject(configPath) : {};
  for (const spec of DISPATCHER_OPTIONS) {
    const name = envName(spec);
    const fromEnv = env[name];
    if (fromEnv !== undefined) {
      merged[spec.key] = parseOptionValue(spec, fromEnv, `environment variable ${name}`);
    }
  }
  for (const spec of DISPATCHER_OPTIONS) {
    const value = flags[flagAttribute(spec.key)];
    if (value === undefined) continue;
    merged[spec.key] = value === true ? true : parseOptionValue(spec, String(value), `--${spec.key}`);
  }
  const config = configFromObject(merged, configPath ?? "settings");
  if (config.debug) config["log-level"] = "debug";
  return {
    config,
    configPath,
    kubeconfigPath: text(flags["kubeconfig"]),
    endpoint: text(flags["endpoint"]) ?? text(env["BUILDKITE_AGENT_ENDPOINT"]),
  };
}
