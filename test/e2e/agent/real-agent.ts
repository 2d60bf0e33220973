// Runs the real buildkite-agent (the binary named by AGENTIFY_BUILDKITE_AGENT) on this
// machine, outside Kubernetes: `start --acquire-job` against a stand-in, with the
// job's bootstrap running the command locally in a temp build dir.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { StandinHandle } from "../../standin/server.ts";
import { buildkiteAgentBinary } from "../../cluster/node/images.ts";

export const AGENT_ENV_VAR = "AGENTIFY_BUILDKITE_AGENT";

/**
 * Resolves the agent binary: AGENTIFY_BUILDKITE_AGENT if set, otherwise the one the node's agent
 * image holds (test/images/build.sh builds it from its Go module, cached), recorded in the variable.
 */
export async function prepareAgentBinary(): Promise<string> {
  process.env[AGENT_ENV_VAR] ??= await buildkiteAgentBinary();
  return agentBinary();
}

/** The agent binary, or an error saying how to provide it (never a silent skip). */
export function agentBinary(): string {
  const path = process.env[AGENT_ENV_VAR];
  if (!path) {
    throw new Error(`${AGENT_ENV_VAR} is not set: call prepareAgentBinary() first, or point it at a buildkite-agent v3.136.2 binary`);
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${AGENT_ENV_VAR}=${path} is not an executable file`);
  }
  return path;
}

export interface AgentRun {
  /** The agent's exit code (or the signal that ended it). */
  exit: Promise<number | string>;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  pid: number;
  /** SIGTERM (the agent cancels its job and finishes it), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface AgentRunOptions {
  standin: StandinHandle;
  jobId: string;
  /** Extra `start` flags, e.g. ["--skip-checkout"] or ["--reflect-exit-status"]. */
  args?: string[];
  /** Give up (SIGTERM, then SIGKILL) after this long; default 60 s. */
  timeoutMs?: number;
}

/** Starts the agent for one job; its temp dir (build path, HOME) is removed when it exits. */
export async function runAgent(opts: AgentRunOptions): Promise<AgentRun> {
  const binary = agentBinary();
  const dir = await mkdtemp(join(tmpdir(), "agentify-agent-"));
  const args = [
    "start", "--acquire-job", opts.jobId,
    "--token", opts.standin.token,
    "--endpoint", opts.standin.url,
    "--build-path", join(dir, "builds"),
    "--hooks-path", join(dir, "hooks"),
    "--plugins-path", join(dir, "plugins"),
    "--sockets-path", join(dir, "sockets"),
    "--name", "standin-agent-%spawn",
    "--tags", "queue=kubernetes",
    "--no-color",
    ...(opts.args ?? []),
  ];
  // Only what the agent needs: none of this process's BUILDKITE_* settings leak in.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, LANG: "C.UTF-8" };
  const child = spawn(binary, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exit = new Promise<number | string>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  }).finally(() => rm(dir, { recursive: true, force: true }));
  const stop = async (graceMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    process.kill(child.pid, "SIGTERM");
    const timer = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, "SIGKILL"), graceMs);
    await exit.catch(() => undefined);
    clearTimeout(timer);
  };
  const timeout = setTimeout(() => void stop(5_000), opts.timeoutMs ?? 60_000);
  void exit.finally(() => clearTimeout(timeout)).catch(() => undefined);
  return { exit, output: () => output, pid: child.pid ?? -1, stop };
}
