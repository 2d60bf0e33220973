// Cleanup on exit and signals, and reaping clusters whose owning process died (SIGKILL).
import { readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive, killGroupSync, type Proc } from "./proc.ts";
import { ownsPid, readState, removeDir } from "./files.ts";
import { teardownNode, type NodeParts } from "./node/teardown.ts";

export const DIR_PREFIX = "agentify-cluster-";

export interface Live {
  procs: Proc[];
  dir: string;
  keepDir: boolean;
  /** Set once the node's bridge and cgroups exist. */
  node?: NodeParts;
}
export const live = new Set<Live>();
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function killLiveSync(l: Live): void {
  for (const p of l.procs) killGroupSync(p.pid);
  if (l.node) tryTeardown(l.node);
  if (!l.keepDir) removeDir(l.dir);
}

/** Exit paths report a node that would not go, but carry on removing the rest. */
function tryTeardown(node: NodeParts): void {
  try {
    teardownNode(node);
  } catch (err) {
    console.error(String(err));
  }
}

function onExit(): void {
  for (const l of live) killLiveSync(l);
  live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  onExit();
  uninstallHooks();
  // If nobody else handles the signal, re-raise it so the process dies as it would have.
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

export function installHooks(): void {
  if (process.listeners("exit").includes(onExit)) return;
  process.on("exit", onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

export function uninstallHooks(): void {
  process.off("exit", onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Kill and delete temp-dir clusters whose owning process is gone (it was SIGKILLed, say). */
export function reapStale(): void {
  const root = tmpdir();
  for (const name of readdirSync(root)) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const state = readState(join(root, name));
    if (!state || state.persist || isAlive(state.ownerPid)) continue;
    for (const p of state.processes) if (ownsPid(state, p)) killGroupSync(p.pid);
    if (state.node) tryTeardown(state.node);
    removeDir(state.dir);
  }
}

// ---------------------------------------------------------------------------------------------
// Cluster objects
