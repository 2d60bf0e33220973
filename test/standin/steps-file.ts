// Reads a YAML file of steps, written the way a Buildkite pipeline writes them
// (snake_case keys, `command` or `commands`), into StepSpecs. Either a list of
// steps, or `{ build: {...}, steps: [...] }`. Unknown keys are errors, to catch typos.
import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import type { BuildSpec, JsonValue, PluginsSpec, StepSpec } from "./types.ts";

const STEP_KEYS = ["label", "key", "command", "commands", "image", "plugins", "agents", "env", "priority", "timeout_in_minutes", "artifact_paths"];
const BUILD_KEYS = ["pipeline", "branch", "commit", "message", "repo", "env"];

export interface StepsFile {
  build: BuildSpec;
  steps: StepSpec[];
}

export async function loadStepsFile(path: string): Promise<StepsFile> {
  return parseSteps(parse(await readFile(path, "utf8")) as unknown, path);
}

export function parseSteps(doc: unknown, source = "steps"): StepsFile {
  const top = Array.isArray(doc) ? { steps: doc } : doc;
  if (!isObject(top) || !Array.isArray(top.steps)) throw new Error(`${source}: expected a list of steps or {build, steps}`);
  unknownKeys(top, ["build", "steps"], source);
  const build = top.build === undefined ? {} : parseBuild(top.build, `${source}: build`);
  return { build, steps: top.steps.map((step, i) => parseStep(step, `${source}: steps[${i}]`)) };
}

function parseBuild(raw: unknown, where: string): BuildSpec {
  if (!isObject(raw)) throw new Error(`${where}: must be a mapping`);
  unknownKeys(raw, BUILD_KEYS, where);
  const build: BuildSpec = {};
  for (const key of ["pipeline", "branch", "commit", "message", "repo"] as const) {
    if (raw[key] !== undefined) build[key] = str(raw[key], `${where}.${key}`);
  }
  if (raw.env !== undefined) build.env = stringMap(raw.env, `${where}.env`);
  return build;
}

function parseStep(raw: unknown, where: string): StepSpec {
  if (!isObject(raw)) throw new Error(`${where}: a step must be a mapping`);
  unknownKeys(raw, STEP_KEYS, where);
  const step: StepSpec = {};
  if (raw.label !== undefined) step.label = str(raw.label, `${where}.label`);
  if (raw.key !== undefined) step.key = str(raw.key, `${where}.key`);
  const command = raw.commands ?? raw.command;
  if (Array.isArray(command)) step.command = command.map((c, i) => str(c, `${where}.commands[${i}]`));
  else if (command !== undefined) step.command = str(command, `${where}.command`);
  if (raw.image !== undefined) step.image = str(raw.image, `${where}.image`);
  if (raw.plugins !== undefined) {
    if (!Array.isArray(raw.plugins) && !isObject(raw.plugins)) throw new Error(`${where}.plugins: must be a list or mapping`);
    step.plugins = raw.plugins as PluginsSpec;
  }
  if (Array.isArray(raw.agents)) step.agents = raw.agents.map((r, i) => str(r, `${where}.agents[${i}]`));
  else if (raw.agents !== undefined) step.agents = stringMap(raw.agents, `${where}.agents`);
  if (raw.env !== undefined) step.env = stringMap(raw.env, `${where}.env`);
  if (raw.priority !== undefined) step.priority = int(raw.priority, `${where}.priority`);
  if (raw.timeout_in_minutes !== undefined) step.timeoutInMinutes = int(raw.timeout_in_minutes, `${where}.timeout_in_minutes`);
  if (raw.artifact_paths !== undefined) step.artifactPaths = str(raw.artifact_paths, `${where}.artifact_paths`);
  return step;
}

function isObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function unknownKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new Error(`${where}: unknown key(s) ${extra.join(", ")} (allowed: ${allowed.join(", ")})`);
}

function str(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new Error(`${where}: must be a string`);
}

function int(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isInteger(value)) throw new Error(`${where}: must be an integer`);
  return value;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (!isObject(value)) throw new Error(`${where}: must be a mapping`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, str(v, `${where}.${k}`)]));
}
