// The stacks API stand-in as its own process (test/standin/cli.ts), so that its work does not
// share an event loop with the webhook under measurement. Driven through its /_standin routes.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../test/standin/cli.ts", import.meta.url));

export interface StandinProcess {
  url: string;
  token: string;
  enqueue(steps: unknown[]): Promise<void>;
  /** Every call recorded (one request: use at the end). */
  calls(): Promise<{ endpoint: string | null; status: number | null }[]>;
  stop(): Promise<void>;
}

export async function startStandinProcess(port: number): Promise<StandinProcess> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "--port", String(port), "--default-queue", "default"], { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  let url = "";
  let token = "";
  for await (const line of lines) {
    url ||= /listening: (\S+)/.exec(line)?.[1] ?? "";
    token ||= /^token: (\S+)/.exec(line)?.[1] ?? "";
    if (url && token) break;
  }
  if (!url || !token) throw new Error("stand-in did not start");
  const control = new URL("/_standin/", url).toString();
  const post = async (path: string, body: unknown) => {
    const res = await fetch(control + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`stand-in ${path}: ${res.status} ${await res.text()}`);
  };
  return {
    url,
    token,
    enqueue: (steps) => post("builds", { steps }),
    calls: async () => (await (await fetch(control + "calls")).json()) as { endpoint: string | null; status: number | null }[],
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
