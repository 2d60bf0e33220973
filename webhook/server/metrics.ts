// Prometheus metrics on their own Registry, served on a separate plain-HTTP port so that
// scraping needs no webhook certificate. Label values are bounded: unknown reasons fold into "other".
// Each review costs two array increments: its series are looked up once, when first used.
import type { Server } from "node:http";
import { registerProcessMetrics } from "../../metrics/process.ts";
import { Counter, Gauge, Histogram, Registry } from "../../metrics/registry.ts";
import type { AdmissionResult } from "./admit.ts";
import type { TransportFailureReason } from "./decode.ts";
import { GATE_SKIP_REASONS } from "./gate.ts";
import { DENIAL_REASONS } from "../core/index.ts";
// node:http as its CommonJS module: importing it as an ES module reads every export, and the
// WebSocket, CloseEvent and MessageEvent getters among them load Node's bundled undici (with
// http2, zlib and web streams), which this process never uses.
const http = process.getBuiltinModule("node:http");

const ERROR_REASONS: readonly (TransportFailureReason | "internal")[] = [
  "unsupported-media-type", "too-large", "aborted", "empty-body", "invalid-json", "invalid-review", "missing-uid", "internal",
];

/** Every (result, reason) pair that can occur; each series starts at 0 so rate() works from the first scrape. */
export const KNOWN_REASONS: Readonly<Record<AdmissionResult, readonly string[]>> = {
  agentified: ["agentified"],
  unchanged: ["not-labelled", "already-agentified", ...GATE_SKIP_REASONS],
  denied: [...DENIAL_REASONS, "other"],
  error: [...ERROR_REASONS, "other"],
};

/** Seconds; the apiserver's own webhook histogram starts at 5 ms, we need finer steps below it. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface WebhookMetrics {
  registry: Registry;
  observeAdmission(result: AdmissionResult, reason: string, seconds: number): void;
  inFlight: Gauge;
  certReloads: Counter<"result">;
  certExpiry: Gauge;
}

export function createWebhookMetrics(): WebhookMetrics {
  const registry = new Registry();
  registerProcessMetrics(registry);
  const duration = new Histogram({
    name: "agentify_webhook_admission_duration_seconds",
    help: "Time from request arrival to answer sent, by result.",
    labelNames: ["result"],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const admissions = new Counter({
    name: "agentify_webhook_admissions_total",
    help: "Admission reviews answered, by result (agentified|unchanged|denied|error) and reason.",
    labelNames: ["result", "reason"],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: "agentify_webhook_admissions_in_flight",
    help: "Admission reviews being processed now.",
    registers: [registry],
  });
  const certReloads = new Counter({
    name: "agentify_webhook_cert_reloads_total",
    help: "Serving certificate loads after start, by result (success|failure).",
    labelNames: ["result"],
    registers: [registry],
  });
  const certExpiry = new Gauge({
    name: "agentify_webhook_cert_expiry_timestamp_seconds",
    help: "notAfter of the serving certificate in use, as a Unix timestamp.",
    registers: [registry],
  });
  for (const [result, reasons] of Object.entries(KNOWN_REASONS)) {
    for (const reason of reasons) admissions.inc({ result, reason }, 0);
    duration.zero({ result });
  }
  certReloads.inc({ result: "success" }, 0);
  certReloads.inc({ result: "failure" }, 0);
  const observeAdmission = (result: AdmissionResult, reason: string, seconds: number): void => {
    const bounded = KNOWN_REASONS[result].includes(reason) ? reason : "other";
    admissions.inc({ result, reason: bounded });
    duration.observe({ result }, seconds);
  };
  return { registry, observeAdmission, inFlight, certReloads, certExpiry };
}

/** GET /metrics on plain HTTP; anything else is 404. */
export function createMetricsServer(registry: Registry): Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`${String(err)}\n`),
    );
  });
}
