// Runs serve.ts as a child process and reads the webhook's own admission time from its metrics.
import { fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const SERVE = fileURLToPath(new URL("./serve.ts", import.meta.url));

export interface WebhookProcess {
  /** https://127.0.0.1:<port>/mutate/jobs */
  url: string;
  metricsUrl: string;
  stop(): void;
}

export async function startWebhookProcess(certDir: string, configPath: string): Promise<WebhookProcess> {
  const child = fork(SERVE, [certDir, configPath], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  const [message] = (await once(child, "message")) as [{ url: string; metricsUrl: string }];
  return { url: message.url, metricsUrl: message.metricsUrl, stop: () => child.kill("SIGTERM") };
}

export interface AdmissionTime {
  count: number;
  seconds: number;
}

/** agentify_webhook_admission_duration_seconds{result="agentified"}: count and sum so far. */
export async function agentifiedAdmissionTime(metricsUrl: string): Promise<AdmissionTime> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (suffix: string): number => {
    const m = new RegExp(`^agentify_webhook_admission_duration_seconds_${suffix}\\{result="agentified"\\} (\\S+)$`, "m").exec(text);
    return m?.[1] === undefined ? 0 : Number(m[1]);
  };
  return { count: value("count"), seconds: value("sum") };
}
