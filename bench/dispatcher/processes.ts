// The processes the dispatcher benchmark measures: `agentify dispatcher` started as the manifests
// start it (the container's Node flags and compile cache, leader election on), and its floor (floor.ts) with the
// same flags. Both read the stand-in and the control plane the bench started.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { NodeSettings } from "../support/manifest-node.ts";

const FLOOR = fileURLToPath(new URL("./floor.ts", import.meta.url));
export const CONCURRENCY = 25;
export const QPS = 1000;

export interface BenchEnv {
  root: string;
  dir: string;
  kubeconfig: string;
  endpoint: string;
  token: string;
  node: NodeSettings;
  compileCacheDir: string;
}

export interface Child {
  child: ChildProcess;
  pid: number;
  spawnedAt: number;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

function env(bench: BenchEnv, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env["PATH"], HOME: process.env["HOME"], ...(bench.node.compileCache ? { NODE_COMPILE_CACHE: bench.compileCacheDir } : {}), ...extra };
}

function handle(child: ChildProcess, spawnedAt: number): Child {
  const exit = once(child, "exit");
  return {
    child, pid: child.pid!, spawnedAt,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exit;
    },
  };
}

/** The dispatcher's config for a namespace (it is also its stack key). */
export function dispatcherConfig(namespace: string, queue: string, metricsPort: number): Record<string, unknown> {
  return {
    namespace, id: namespace, queue, tags: [`queue=${queue}`], "max-in-flight": 0, "job-creation-concurrency": CONCURRENCY,
    "k8s-client-rate-limiter-qps": QPS, "k8s-client-rate-limiter-burst": QPS, "poll-interval": "1s", "reservation-expiry-seconds": 300,
    "pod-pending-timeout": "1h", "empty-job-grace-period": "1h", "job-cancel-checker-poll-interval": "1s", "log-level": "warn", "prometheus-port": metricsPort,
  };
}

export function startDispatcher(bench: BenchEnv, namespace: string, queue: string, metricsPort: number): Child {
  const file = join(bench.dir, `${namespace}.json`);
  writeFileSync(file, JSON.stringify(dispatcherConfig(namespace, queue, metricsPort)));
  // --leader-elect as the manifests run it: the elector takes the namespace's Lease first.
  const args = [
    ...bench.node.flags, join(bench.root, "bin", "agentify.ts"), "dispatcher", "--config", file, "--leader-elect",
    "--kubeconfig", bench.kubeconfig, "--endpoint", bench.endpoint,
  ];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { env: env(bench, { BUILDKITE_AGENT_TOKEN: bench.token }), stdio: ["ignore", "inherit", "inherit"] });
  return handle(child, spawnedAt);
}

export interface Floor extends Child {
  /** With now = true: resolves with the one round's report, "done <ms> <failed> <cpu ms>". */
  done: Promise<string>;
  /** A long-lived floor's next round, into `namespace`; resolves with its report. */
  round(namespace: string): Promise<string>;
}

function checked(report: string): string {
  if (!report.startsWith("done") || report.split(" ")[2] !== "0") throw new Error(`floor failed: ${report}`);
  return report;
}

/** The floor: with now = true one round into `namespace` at once (start-up), else one per round(). */
export async function startFloor(bench: BenchEnv, namespace: string, queue: string, count: number, now: boolean): Promise<Floor> {
  const args = [...bench.node.flags, FLOOR, bench.endpoint, bench.token, bench.kubeconfig, namespace, queue, String(count), String(CONCURRENCY), ...(now ? ["--now"] : [])];
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, { env: env(bench), stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<string> => String((await lines.next()).value ?? "");
  if (now) {
    const done = next().then(checked);
    done.catch(() => undefined);
    return { ...handle(child, spawnedAt), done, round: () => Promise.reject(new Error("a --now floor runs one round")) };
  }
  if ((await next()) !== "ready") throw new Error("the floor did not start");
  return {
    ...handle(child, spawnedAt), done: Promise.resolve(""),
    round: async (ns) => {
      child.stdin!.write(`go ${ns}\n`);
      return checked(await next());
    },
  };
}

/** The dispatcher's successful polls so far, from its /metrics (0 while it is not serving). */
export async function okPolls(metricsPort: number): Promise<number> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    return Number(/^agentify_dispatcher_polls_total\{result="ok"\} (\d+)/m.exec(text)?.[1] ?? "0");
  } catch {
    return 0;
  }
}
