// `agentify webhook`: the admission webhook as a long-running process.
import { readFileSync } from "node:fs";
import { flushCompileCache } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { pino } from "pino";
import type { Level } from "pino";
import { defaultConfig, parseConfig } from "../core/index.ts";
import type { Config } from "../core/index.ts";
import { startWebhook } from "./server.ts";
import type { TlsMinVersion } from "./server.ts";
import { exitOnSignals } from "./shutdown.ts";
import { syncDestination } from "./sync-destination.ts";
import { releaseStartupMemory } from "../../bin/startup-memory.ts";

const LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"];
/** Start-up's garbage is collected this long after listening, and again after the first review. */
const RELEASE_STARTUP_MEMORY_AFTER_MS = 1000;

interface WebhookFlags {
  config?: string;
  certDir: string;
  port: number;
  metricsPort: number;
  host: string;
  tlsMinVersion: TlsMinVersion;
  auditLevel: Level;
  logLevel: Level;
  certPollInterval: number;
  shutdownDelay: number;
  shutdownTimeout: number;
}

function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    return parsed;
  };
}

/** Seconds on the command line (as in Kubernetes manifests), milliseconds inside. */
function seconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError("expected a number of seconds >= 0");
  return Math.round(parsed * 1000);
}

function loadConfig(path: string | undefined): Config {
  return path === undefined ? defaultConfig() : parseConfig(readFileSync(path, "utf8"), path);
}

/**
 * Test hook: with NODE_ENV=test, AGENTIFY_TEST_ADMISSION_DELAY_MS holds every review that
 * long before the core runs (the shutdown test needs a request in flight). Ignored otherwise.
 */
function testDelayHook(): (() => Promise<void>) | undefined {
  const delay = Number(process.env["AGENTIFY_TEST_ADMISSION_DELAY_MS"] ?? "");
  if (process.env["NODE_ENV"] !== "test" || !(delay > 0)) return undefined;
  return () => sleep(delay);
}

async function runWebhook(flags: WebhookFlags): Promise<void> {
  // Synchronous stdout: each audit line is one write(2) before the next review is read. An
  // asynchronous destination buffered every line the pipe had not taken yet, without bound:
  // 1,200 lines (19 MB) under load in the benchmark, an out-of-memory kill when the log reader
  // stalls. Blocking instead slows reviews down, which the apiserver sees and times out.
  const logger = pino({ level: flags.logLevel, base: { component: "webhook" } }, syncDestination(1));
  const beforeAdmit = testDelayHook();
  try {
    const webhook = await startWebhook({
      config: loadConfig(flags.config),
      certDir: flags.certDir,
      port: flags.port,
      metricsPort: flags.metricsPort,
      host: flags.host,
      tlsMinVersion: flags.tlsMinVersion,
      logger,
      auditLevel: flags.auditLevel,
      certPollIntervalMs: flags.certPollInterval,
      ...(beforeAdmit === undefined ? {} : { beforeAdmit }),
      // Again once a review has run: the cache then also holds the admission path's code.
      afterFirstReview: () => {
        flushCompileCache();
        releaseStartupMemory();
      },
    });
    exitOnSignals(webhook, logger, { drainDelayMs: flags.shutdownDelay, timeoutMs: flags.shutdownTimeout });
    // With NODE_COMPILE_CACHE set, write what start-up compiled now, not at exit: a pod is
    // usually killed, and a killed process would leave the cache empty for the next start.
    flushCompileCache();
    // Not at once: the first reviews (a start-up's readiness) would wait for it.
    setTimeout(releaseStartupMemory, RELEASE_STARTUP_MEMORY_AFTER_MS).unref();
  } catch (err) {
    // Bad config, unreadable certificates, port in use: one fatal log line (the same JSON
    // stream as everything else the webhook says), exit 1.
    logger.fatal({ err }, `cannot start the webhook: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  }
}

export function registerWebhook(program: Command): void {
  program
    .command("webhook")
    .description("Serve the mutating admission webhook that agentifies Jobs labelled buildkite.com/job-uuid (POST /mutate/jobs).")
    .option("--config <file>", "agentify config YAML (default: built-in defaults)")
    .requiredOption("--cert-dir <dir>", "directory with tls.crt and tls.key; reloaded when it changes")
    .option("--port <port>", "HTTPS port for reviews, /healthz and /readyz", integer(0, 65535), 8443)
    .option("--metrics-port <port>", "plain-HTTP port for /metrics", integer(0, 65535), 9090)
    .option("--host <address>", "address to listen on", "0.0.0.0")
    .addOption(new Option("--tls-min-version <version>", "lowest TLS version accepted").choices(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"))
    .addOption(new Option("--audit-level <level>", "log level at which audit lines include the (redacted) patch").choices(LEVELS).default("info"))
    .addOption(new Option("--log-level <level>", "log level").choices(LEVELS).default("info"))
    .addOption(new Option("--cert-poll-interval <seconds>", "also re-read the certificate directory this often").argParser(seconds).default(10_000, "10"))
    .addOption(new Option("--shutdown-delay <seconds>", "on SIGTERM, stay up this long while unready before closing the listener").argParser(seconds).default(5_000, "5"))
    .addOption(new Option("--shutdown-timeout <seconds>", "longest wait for in-flight reviews at shutdown").argParser(seconds).default(20_000, "20"))
    .action(async (flags: WebhookFlags) => {
      await runWebhook(flags);
    });
}
