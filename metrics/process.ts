// The process metrics prom-client's collectDefaultMetrics exports that an operator reads most
// (CPU, resident memory, heap, open file descriptors, start time, Node version), computed at
// scrape time: nothing runs between scrapes (no GC observer, no event-loop sampler).
import { readdirSync, readFileSync } from "node:fs";
import { Counter, Gauge } from "./registry.ts";
import type { Registry } from "./registry.ts";

function residentBytes(): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall back to Node's own figure.
  }
  return process.memoryUsage.rss();
}

function openFds(): number | undefined {
  try {
    return readdirSync("/proc/self/fd").length - 1; // the directory handle itself
  } catch {
    return undefined;
  }
}

/** Registers the process_* and nodejs_* metrics on `registry`, with an optional name prefix. */
export function registerProcessMetrics(registry: Registry, prefix = ""): void {
  const registers = [registry];
  const startSeconds = Math.round(Date.now() / 1000 - process.uptime());
  // The CPU counters are read from one process.cpuUsage() per scrape, taken by the start-time
  // gauge's collect, which is registered first so that it runs before the counters render.
  let last = { user: 0, system: 0 };
  const cpu: { user?: Counter; system?: Counter; total?: Counter } = {};
  new Gauge({
    name: `${prefix}process_start_time_seconds`, help: "Start time of the process since unix epoch in seconds.", registers,
    collect() {
      this.set(startSeconds);
      const now = process.cpuUsage();
      const du = (now.user - last.user) / 1e6;
      const ds = (now.system - last.system) / 1e6;
      last = now;
      cpu.user?.inc(du);
      cpu.system?.inc(ds);
      cpu.total?.inc(du + ds);
    },
  });
  cpu.user = new Counter({ name: `${prefix}process_cpu_user_seconds_total`, help: "Total user CPU time spent in seconds.", registers });
  cpu.system = new Counter({ name: `${prefix}process_cpu_system_seconds_total`, help: "Total system CPU time spent in seconds.", registers });
  cpu.total = new Counter({ name: `${prefix}process_cpu_seconds_total`, help: "Total user and system CPU time spent in seconds.", registers });
  new Gauge({ name: `${prefix}process_resident_memory_bytes`, help: "Resident memory size in bytes.", registers, collect() { this.set(residentBytes()); } });
  new Gauge({
    name: `${prefix}process_open_fds`, help: "Number of open file descriptors.", registers,
    collect() {
      const fds = openFds();
      if (fds !== undefined) this.set(fds);
    },
  });
  const heap = (name: string, help: string, read: (m: NodeJS.MemoryUsage) => number): void =>
    void new Gauge({ name: `${prefix}${name}`, help, registers, collect() { this.set(read(process.memoryUsage())); } });
  heap("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", (m) => m.heapTotal);
  heap("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", (m) => m.heapUsed);
  heap("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", (m) => m.external);
  const version = new Gauge({ name: `${prefix}nodejs_version_info`, help: "Node.js version info.", labelNames: ["version", "major", "minor", "patch"], registers });
  const [major, minor, patch] = process.versions.node.split(".").map(Number);
  version.set({ version: process.version, major: major ?? 0, minor: minor ?? 0, patch: patch ?? 0 }, 1);
}
