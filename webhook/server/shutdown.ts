// Signal handling for the webhook process. SIGTERM (Kubernetes) waits `drainDelayMs` while
// not ready, so endpoints drop this pod before its listener closes; SIGINT (a developer's
// Ctrl-C) skips that wait. A second signal exits at once.
import type { Logger } from "pino";
import type { WebhookServer } from "./server.ts";

export interface SignalOptions {
  /** Pause between going unready and closing the listener, on SIGTERM only. */
  drainDelayMs: number;
  /** Upper bound for in-flight requests to finish. */
  timeoutMs: number;
  /** Default process.exit; tests may replace it. */
  exit?: (code: number) => void;
}

export function exitOnSignals(webhook: WebhookServer, logger: Logger, options: SignalOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received !== undefined) {
      logger.warn({ signal, first: received }, "second signal; exiting without waiting for in-flight reviews");
      exit(1);
      return;
    }
    received = signal;
    const delayMs = signal === "SIGTERM" ? options.drainDelayMs : 0;
    logger.info({ signal, delayMs, timeoutMs: options.timeoutMs }, "shutting down: not ready, draining in-flight reviews");
    webhook.shutdown({ delayMs, timeoutMs: options.timeoutMs }).then(
      ({ clean }) => {
        if (clean) logger.info("shutdown complete");
        else logger.error({ timeoutMs: options.timeoutMs }, "shutdown timed out; open connections were cut");
        exit(clean ? 0 : 1);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        exit(1);
      },
    );
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
