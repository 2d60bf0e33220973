// Child-process plumbing for the control plane: each component runs detached in its own process group
// (pgid = pid) with stdout+stderr in a log file, so we can kill the whole group and nothing is tied
// to our stdio. Liveness is read from /proc, because an orphan that nobody reaps is a zombie, not alive.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface Proc {
  name: string;
  pid: number;
  logPath: string;
  child: ChildProcess;
  /** Set once the process has exited (code or signal). */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** Start `bin args` detached (own process group), output appended to logPath. */
export function startProc(name: string, bin: string, args: string[], logPath: string, env: NodeJS.ProcessEnv): Proc {
  const fd = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { detached: true, stdio: ["ignore", fd, fd], env });
  } finally {
    closeSync(fd); // the child has its own copy
  }
  if (child.pid === undefined) throw new Error(`${name}: failed to spawn ${bin}`);
  const proc: Proc = { name, pid: child.pid, logPath, child, exit: undefined };
  child.on("exit", (code, signal) => {
    proc.exit = { code, signal };
  });
  child.on("error", () => {
    proc.exit ??= { code: null, signal: null };
  });
  return proc;
}

/** True if pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false;
  }
  // Format: "pid (comm) S ...": the state letter follows the last ')'.
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state !== "Z" && state !== "X";
}

/** The process's command line (NUL-separated args joined by spaces), or "" if gone. */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // group already gone
  }
}

/** SIGKILL a process group now (for 'exit' handlers, which must be synchronous). */
export function killGroupSync(pid: number): void {
  signalGroup(pid, "SIGKILL");
}

/** SIGTERM the group, wait up to graceMs for its leader to go, then SIGKILL the group. */
export async function killGroup(pid: number, graceMs = 5000): Promise<void> {
  if (!isAlive(pid)) {
    signalGroup(pid, "SIGKILL"); // any stragglers in the group
    return;
  }
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(50);
  signalGroup(pid, "SIGKILL");
  while (isAlive(pid) && Date.now() < deadline + 2000) await sleep(50);
}

/** The last `lines` lines of a log file, for error messages. */
export function logTail(path: string, lines = 60): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch (err) {
    return `(no log at ${path}: ${String(err)})`;
  }
}
