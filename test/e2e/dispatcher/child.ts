// `agentify dispatcher` as a child process (for SIGTERM and SIGKILL tests), configured like the
// in-process one of a DispatcherEnv. Its output goes to a log file kept for inspection.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DispatcherEnv } from "./env.ts";

const ROOT = join(import.meta.dirname, "..", "..", "..");

export interface ChildDispatcher {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  logPath: string;
}

export function writeConfigFile(env: DispatcherEnv, overrides: Record<string, unknown> = {}): string {
  const path = join(env.certDir, `dispatcher-${Date.now()}.json`);
  // JSON is YAML: the config file loader reads either.
  writeFileSync(path, JSON.stringify({ ...env.configObject, ...overrides }, null, 2));
  return path;
}

export function spawnDispatcher(env: DispatcherEnv, configPath: string, name: string, extraArgs: string[] = []): ChildDispatcher {
  const logPath = join(env.certDir, `${name}.log`);
  const log = createWriteStream(logPath, { flags: "a" });
  const child = spawn(process.execPath, [
    join(ROOT, "bin", "agentify.ts"), "dispatcher", "--config", configPath, "--kubeconfig", env.cluster.kubeconfigPath, "--endpoint", env.standin.url, ...extraArgs,
  ], {
    cwd: ROOT,
    env: { PATH: process.env["PATH"], HOME: process.env["HOME"], BUILDKITE_AGENT_TOKEN: env.standin.token },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return { child, exited, logPath };
}
