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
  /** One build of `steps`; resolves with the job ids. */
  enqueue(steps: unknown[]): Promise<string[]>;
  /** Cancels the jobs (as a user would in Buildkite), `concurrency` requests at a time. */
  cancel(ids: readonly string[], concurrency?: number): Promise<void>;
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
  const post = async (path: string, body: unknown): Promise<unknown> => {
    const res = await fetch(control + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`stand-in ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    url,
    token,
    enqueue: async (steps) => ((await post("builds", { steps })) as { ids: string[] }).ids,
    cancel: async (ids, concurrency = 20) => {
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < ids.length) {
          const res = await fetch(`${control}jobs/${ids[next++]}/cancel`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
          // 409: already finished or cancelled, which is what we want.
          if (!res.ok && res.status !== 409) throw new Error(`stand-in cancel: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
        }
      }));
    },
    calls: async () => (await (await fetch(control + "calls")).json()) as { endpoint: string | null; status: number | null }[],
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
