// The webhook for the admission benchmark: `agentify webhook` started as the manifests start it
// (bench/webhook/servers.ts: the container's Node flags, compile cache and config), and its own
// admission time read from its metrics.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { manifestNodeSettings } from "../support/manifest-node.ts";
import { load } from "../webhook/load.ts";
import { startServer } from "../webhook/servers.ts";
import { typicalJobReview } from "../webhook/typical-job.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface WebhookProcess {
  /** https://127.0.0.1:<port>/mutate/jobs */
  url: string;
  metricsUrl: string;
  pid: number;
  /** `reviews` typical reviews sent directly, 10 at a time: JIT-compiled as a webhook that has been running is. */
  warm(reviews: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startWebhookProcess(certDir: string, ca: string): Promise<WebhookProcess> {
  const cacheDir = mkdtempSync(join(tmpdir(), "agentify-admission-cache-"));
  const ctx = { root: ROOT, certDir, ca, answerFile: "", node: manifestNodeSettings(ROOT, "webhook.yaml", "webhook"), compileCacheDir: cacheDir };
  const server = await startServer({ name: "webhook", kind: "webhook", body: typicalJobReview() }, ctx);
  return {
    url: server.url, metricsUrl: server.metricsUrl, pid: server.pid,
    warm: async (reviews) => void (await load(server, 10, { amount: reviews })),
    stop: async () => {
      await server.stop();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
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
