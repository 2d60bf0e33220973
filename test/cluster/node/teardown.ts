// Removing a node: every process in its cgroups (shims and containers are not in the launcher's
// process group), then the cgroups, then the bridge. Synchronous, so process 'exit' handlers and the
// reaper of dead runs can use it too. Mounts need nothing: they lived in the node's private mount
// namespace, which is gone once its last process is.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { bridgeExists, deleteBridge } from "./net.ts";
import { hierarchies, killNodePids, nodePids, removeNodeCgroups } from "./cgroups.ts";

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));
function sleepSync(ms: number): void {
  Atomics.wait(sleepBuffer, 0, 0, ms);
}

export interface NodeParts {
  cgroup: string;
  bridge: string;
}

/** Kill, remove, delete; throws naming whatever could not be removed within a few seconds. */
export function teardownNode(node: NodeParts): void {
  const deadline = Date.now() + 10_000;
  while (killNodePids(node.cgroup) > 0 && Date.now() < deadline) sleepSync(50);
  let left = removeNodeCgroups(node.cgroup);
  while (left.length > 0 && Date.now() < deadline) {
    sleepSync(100);
    killNodePids(node.cgroup);
    left = removeNodeCgroups(node.cgroup);
  }
  deleteBridge(node.bridge);
  const pids = nodePids(node.cgroup);
  if (left.length > 0 || pids.length > 0) {
    throw new Error(`test node ${node.cgroup} not fully removed: ${pids.length} processes, cgroups left: ${left.join(", ")}`);
  }
}

/** What a removed node left on this host (empty when clean-up was complete), for tests. */
export function nodeLeftovers(node: NodeParts & { dir: string }): string[] {
  const left: string[] = [];
  const pids = nodePids(node.cgroup);
  if (pids.length > 0) left.push(`processes ${pids.join(", ")}`);
  for (const h of hierarchies()) if (existsSync(join("/sys/fs/cgroup", h, node.cgroup))) left.push(`cgroup ${h}:/${node.cgroup}`);
  if (node.bridge && bridgeExists(node.bridge)) left.push(`bridge ${node.bridge}`);
  if (existsSync(node.dir)) left.push(`dir ${node.dir}`);
  const mounts = readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.includes(node.dir));
  left.push(...mounts.map((m) => `mount ${m}`));
  return left;
}
