// Assembles the webhook: HTTPS listener (its routes in app.ts), metrics listener, certificate
// reloader, readiness and graceful shutdown. `startWebhook` is what the CLI, the tests
// and the e2e suite call.
import { once } from "node:events";
import { createServer } from "node:https";
import type { Server as HttpServer } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import type { Level, Logger } from "pino";
import { patchFor, REDACTED, redactPatch, redactSecrets, tryAgentify } from "../core/index.ts";
import type { Config } from "../core/index.ts";
import type { AdmissionCore } from "./admit.ts";
import { MUTATE_JOBS_PATH, createWebhookApp } from "./app.ts";
import { MAX_BODY_BYTES } from "./decode.ts";
import { createAdmissionHandler } from "./handler.ts";
import { newReadiness } from "./health.ts";
import type { Readiness } from "./health.ts";
import { createMetricsServer, createWebhookMetrics } from "./metrics.ts";
import type { WebhookMetrics } from "./metrics.ts";
import { loadServingPair, startCertReloader } from "./tls-reload.ts";
import type { ServingPair } from "./tls-reload.ts";

export type TlsMinVersion = "TLSv1.2" | "TLSv1.3";

export interface WebhookOptions {
  config: Config;
  /** Directory with tls.crt and tls.key (a mounted Secret). */
  certDir: string;
  /** HTTPS port; 0 picks a free one. Default 8443. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
  /** Plain-HTTP /metrics port; 0 picks a free one. Default 9090. */
  metricsPort?: number;
  /** Default: same as host. */
  metricsHost?: string;
  /** Default TLSv1.2. */
  tlsMinVersion?: TlsMinVersion;
  /** Default: pino at info on stdout. */
  logger?: Logger;
  /** Level at which audit lines include the redacted patch. Default info. */
  auditLevel?: Level;
  /** Certificate directory poll period, on top of fs.watch. Default 10 000. */
  certPollIntervalMs?: number;
  /** Default 7 MiB. */
  maxBodyBytes?: number;
  /** Replaces the agentify core (tests inject failures). */
  core?: AdmissionCore;
  /** Test hook, awaited before each admission reaches the core. */
  beforeAdmit?: () => Promise<void>;
  /** Called once, after the first review is answered (the CLI writes the compile cache then). */
  afterFirstReview?: () => void;
}

export interface ShutdownOptions {
  /** Keep serving (while not ready) so endpoints can drop this pod first. Default 0. */
  delayMs?: number;
  /** Upper bound for in-flight requests to finish; then connections are cut. Default 25 000. */
  timeoutMs?: number;
}

export interface WebhookServer {
  /** https://<host>:<port>, with a wildcard host replaced by loopback. */
  url: string;
  /** url + /mutate/jobs */
  mutateUrl: string;
  port: number;
  metricsPort: number;
  /** http://<host>:<metricsPort>/metrics */
  metricsUrl: string;
  readiness: Readonly<Readiness>;
  metrics: WebhookMetrics;
  /** The serving pair in use now. */
  servingCertificate(): Readonly<ServingPair>;
  /** Re-reads the certificate directory now; true if a new pair was installed. */
  reloadCertificates(): boolean;
  /** Not ready → wait delayMs → stop accepting → finish in-flight requests. */
  shutdown(options?: ShutdownOptions): Promise<{ clean: boolean }>;
  /** shutdown() without delay. */
  close(): Promise<void>;
}

export const agentifyCore: AdmissionCore = { tryAgentify, patchFor };

/** Longer than the apiserver's 90 s idle timeout, so the client is the one to close idle connections. */
const KEEP_ALIVE_TIMEOUT_MS = 95_000;
/** controller-runtime's ReadHeaderTimeout; Pepr matches it too. */
const HEADERS_TIMEOUT_MS = 32_000;
const REQUEST_TIMEOUT_MS = 60_000;

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

async function listen(server: HttpServer | HttpsServer, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

/** server.close() waits for open connections; idle keep-alive ones are closed as they become idle. */
async function drain(server: HttpsServer, timeoutMs: number): Promise<boolean> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  const timedOut = sleep(timeoutMs, "timeout" as const);
  const first = await Promise.race([closed.then(() => "closed" as const), timedOut]);
  clearInterval(idleSweep);
  if (first === "timeout") {
    server.closeAllConnections();
    await closed;
    return false;
  }
  return true;
}

export async function startWebhook(options: WebhookOptions): Promise<WebhookServer> {
  const logger = options.logger ?? pino({ level: "info" });
  const host = options.host ?? "0.0.0.0";
  const minVersion = options.tlsMinVersion ?? "TLSv1.2";
  const metrics = createWebhookMetrics();
  const readiness = newReadiness();
  let pair = loadServingPair(options.certDir);
  readiness.certificateLoaded = true;
  metrics.certExpiry.set(pair.notAfter.getTime() / 1000);

  const admissionHandler = createAdmissionHandler({
    core: options.core ?? agentifyCore,
    config: options.config,
    redaction: { redactPatch, redactSecrets, masked: REDACTED },
    logger,
    auditLevel: options.auditLevel ?? "info",
    metrics,
    maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
    ...(options.beforeAdmit === undefined ? {} : { beforeAdmit: options.beforeAdmit }),
    ...(options.afterFirstReview === undefined ? {} : { afterFirstReview: options.afterFirstReview }),
  });
  const app = createWebhookApp({ admissionHandler, readiness, logger });
  // While shutting down, every answer closes its connection: the apiserver reuses keep-alive
  // connections, and one closed while idle can race a new review on it (a connection reset, a failed
  // admission). Closed after a response, the apiserver opens its next one to a ready endpoint.
  const server = createServer({ cert: pair.cert, key: pair.key, minVersion }, (req, res) => {
    if (readiness.shuttingDown) res.setHeader("connection", "close");
    app(req, res);
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  const metricsServer = createMetricsServer(metrics.registry);

  const reloader = startCertReloader({
    dir: options.certDir,
    current: pair,
    pollIntervalMs: options.certPollIntervalMs ?? 10_000,
    onReload(next) {
      server.setSecureContext({ cert: next.cert, key: next.key, minVersion });
      pair = next;
      metrics.certReloads.inc({ result: "success" });
      metrics.certExpiry.set(next.notAfter.getTime() / 1000);
      logger.info({ serialNumber: next.serialNumber, notAfter: next.notAfter.toISOString() }, "serving certificate reloaded");
    },
    onError(err) {
      metrics.certReloads.inc({ result: "failure" });
      logger.error({ err, certDir: options.certDir }, "new serving certificate rejected; keeping the one in use");
    },
    onWatchError(err) {
      logger.warn({ err, certDir: options.certDir }, "cannot watch the certificate directory; relying on polling");
    },
  });

  let port: number;
  let metricsPort: number;
  try {
    port = await listen(server, options.port ?? 8443, host);
    metricsPort = await listen(metricsServer, options.metricsPort ?? 9090, options.metricsHost ?? host);
  } catch (err) {
    reloader.stop();
    server.close();
    metricsServer.close();
    throw err;
  }
  readiness.listening = true;
  const url = `https://${urlHost(host)}:${port}`;
  const metricsUrl = `http://${urlHost(options.metricsHost ?? host)}:${metricsPort}/metrics`;
  logger.info({ url, metricsUrl, tlsMinVersion: minVersion, serialNumber: pair.serialNumber, notAfter: pair.notAfter.toISOString() }, "webhook listening");

  let stopping: Promise<{ clean: boolean }> | undefined;
  const shutdown = (shutdownOptions: ShutdownOptions = {}): Promise<{ clean: boolean }> => {
    stopping ??= (async () => {
      readiness.shuttingDown = true;
      if ((shutdownOptions.delayMs ?? 0) > 0) await sleep(shutdownOptions.delayMs);
      reloader.stop();
      const clean = await drain(server, shutdownOptions.timeoutMs ?? 25_000);
      readiness.listening = false;
      metricsServer.closeAllConnections();
      await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      return { clean };
    })();
    return stopping;
  };

  return {
    url,
    mutateUrl: `${url}${MUTATE_JOBS_PATH}`,
    port,
    metricsPort,
    metricsUrl,
    readiness,
    metrics,
    servingCertificate: () => pair,
    reloadCertificates: () => reloader.check(),
    shutdown,
    close: async () => {
      await shutdown({ delayMs: 0 });
    },
  };
}
