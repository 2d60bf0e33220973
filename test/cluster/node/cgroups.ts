// The node's own cgroups. Each run gets `/<name>` in every cgroup v1 hierarchy (the kubelet's
// cgroupRoot) and puts containerd and kubelet into `pids:/<name>/daemons`. Every process the node
// starts (shims, pod sandboxes, containers) stays below `pids:/<name>`, so clean-up can find and kill
// exactly those processes by pid and then remove the cgroups, even after the owning test crashed.
// The host's cgroup mounts are never touched.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const CGROUP_FS = "/sys/fs/cgroup";
export const CGROUP_PREFIX = "agentify-node-";

/** The v1 hierarchies mounted on this machine (real dirs, not the cpu,cpuacct-style links; no cgroup2). */
export function hierarchies(): string[] {
  if (!existsSync(join(CGROUP_FS, "pids", "cgroup.procs"))) {
    throw new Error(`the test node needs cgroup v1 with a pids hierarchy at ${CGROUP_FS}/pids (this machine has none)`);
  }
  return readdirSync(CGROUP_FS).filter((h) => {
    const dir = join(CGROUP_FS, h);
    return h !== "unified" && statSync(dir).isDirectory() && existsSync(join(dir, "cgroup.procs"));
  });
}

/** Create `/<name>` in every hierarchy and `pids:/<name>/daemons`; cpuset children need cpus and mems. */
export function createNodeCgroups(name: string): void {
  for (const h of hierarchies()) {
    const dir = join(CGROUP_FS, h, name);
    mkdirSync(dir, { recursive: true });
    if (h === "cpuset") {
      for (const f of ["cpuset.cpus", "cpuset.mems"]) writeFileSync(join(dir, f), readFileSync(join(CGROUP_FS, h, f)));
    }
  }
  mkdirSync(join(CGROUP_FS, "pids", name, "daemons"), { recursive: true });
}

/** The path the launcher writes its pid into. */
export function daemonsProcsFile(name: string): string {
  return join(CGROUP_FS, "pids", name, "daemons", "cgroup.procs");
}

/** Every pid in pids:/<name> and below. */
export function nodePids(name: string): number[] {
  const pids: number[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    try {
      for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) if (line) pids.push(Number(line));
    } catch {
      // removed while we read it
    }
    for (const e of entries) if (e.isDirectory()) walk(join(dir, e.name));
  };
  walk(join(CGROUP_FS, "pids", name));
  return pids;
}

/** SIGKILL every process in the node's cgroups (they are all ours: the node started them). */
export function killNodePids(name: string): number {
  const pids = nodePids(name);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return pids.length;
}

/** Remove `/<name>` and everything below it in every hierarchy (deepest first). Returns what is left. */
export function removeNodeCgroups(name: string): string[] {
  const left: string[] = [];
  const rm = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // already gone
    }
    for (const e of entries) if (e.isDirectory()) rm(join(dir, e.name));
    try {
      rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  };
  for (const h of hierarchies()) rm(join(CGROUP_FS, h, name));
  return left;
}

/** Node cgroup names present in the pids hierarchy, for reaping runs that died. */
export function existingNodeCgroups(): string[] {
  try {
    return readdirSync(join(CGROUP_FS, "pids")).filter((n) => n.startsWith(CGROUP_PREFIX));
  } catch {
    return [];
  }
}
