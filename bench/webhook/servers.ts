// The processes the webhook benchmark measures, each started as a cluster would start it: the
// real `agentify webhook` command with the Node flags and compile cache of manifests/base/
// webhook.yaml, or the floor server with the same flags. Start-up time is measured from spawn to
// the first answered review.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { request } from "node:https";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { NodeSettings } from "../support/manifest-node.ts";

const FLOOR = fileURLToPath(new URL("./floor-server.ts", import.meta.url));

export interface ServerSpec {
  name: string;
  kind: "webhook" | "floor";
  /** The request body this server is measured with. */
  body: string;
  /** webhook: extra CLI flags (e.g. --audit-level debug). */
  args?: string[];
}

export interface BenchContext {
  /** The checkout whose bin/agentify.ts and manifests are measured. */
  root: string;
  certDir: string;
  ca: string;
  /** The precomputed answer the floor sends. */
  answerFile: string;
  node: NodeSettings;
  /** NODE_COMPILE_CACHE for the children when the manifest sets one. */
  compileCacheDir: string;
}

export interface Running {
  spec: ServerSpec;
  child: ChildProcess;
  pid: number;
  url: string;
  /** The webhook's /metrics (plain HTTP). */
  metricsUrl: string;
  /** Spawn to first answered review. */
  startupMs: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** POSTs `body` once; resolves with the answer text, rejects on any transport error. */
export function post(url: string, body: string, ca: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-type": "application/json" }, ca, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

function argsFor(spec: ServerSpec, ctx: BenchContext, port: number, metricsPort: number): string[] {
  if (spec.kind === "floor") return [...ctx.node.flags, FLOOR, ctx.certDir, ctx.answerFile, String(port)];
  return [
    ...ctx.node.flags, join(ctx.root, "bin", "agentify.ts"), "webhook",
    "--config", join(ctx.root, "manifests", "base", "agentify-config.yaml"), "--cert-dir", ctx.certDir,
    "--host", "127.0.0.1", "--port", String(port), "--metrics-port", String(metricsPort), "--shutdown-delay", "0", ...(spec.args ?? []),
  ];
}

/** Starts `spec` and waits for its first 200 answer (polling every 5 ms, at most 30 s). */
export async function startServer(spec: ServerSpec, ctx: BenchContext): Promise<Running> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"], HOME: process.env["HOME"] };
  if (ctx.node.compileCache) env["NODE_COMPILE_CACHE"] = ctx.compileCacheDir;
  const started = performance.now();
  // stdout (the audit lines) goes to /dev/null: written as in production, read by no one.
  const child = spawn(process.execPath, argsFor(spec, ctx, port, metricsPort), { stdio: ["ignore", "ignore", "inherit"], env });
  let exited = false;
  const exit = once(child, "exit").then(() => (exited = true));
  const url = `https://127.0.0.1:${port}/mutate/jobs`;
  for (;;) {
    if (exited) throw new Error(`${spec.name}: exited before answering`);
    if (performance.now() - started > 30_000) throw new Error(`${spec.name}: no answer 30 s after start`);
    const answer = await post(url, spec.body, ctx.ca).catch(() => undefined);
    if (answer?.status === 200) break;
    await sleep(5);
  }
  const startupMs = performance.now() - started;
  return {
    spec, child, pid: child.pid!, url, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`, startupMs,
    stop: async () => {
      if (!exited) child.kill("SIGKILL");
      await exit;
    },
  };
}
