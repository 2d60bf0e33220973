// Reads the config file for the front ends (render, webhook, dispatcher); no file → defaults.
import { readFileSync } from "node:fs";
import { ConfigError, defaultConfig, parseConfig, type Config } from "./core/index.ts";

export function loadConfigFile(path: string | undefined): Config {
  if (path === undefined) return defaultConfig();
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`${path}: cannot read config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseConfig(text, path);
}
