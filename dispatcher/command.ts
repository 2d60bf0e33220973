// `agentify dispatcher`: polls Buildkite's stacks API for the queue's jobs and creates bare
// Kubernetes Jobs for the agentify webhook to mutate. SIGTERM/SIGINT stop it and deregister the
// stack within 5 s.
import { flushCompileCache } from "node:module";
import { Option } from "commander";
import type { Command } from "commander";
import type { Level } from "pino";
import { DISPATCHER_OPTIONS, envName } from "./settings/options.ts";

/** SIGTERM to exit, deregistration included. */
export const SHUTDOWN_BUDGET_MS = 5000;
/** Start-up's garbage is collected this long after the dispatcher (or its elector) has started. */
const RELEASE_STARTUP_MEMORY_AFTER_MS = 1000;

export function registerDispatcher(program: Command): void {
  const command = program
    .command("dispatcher")
    .description(
      "Poll Buildkite's stacks API for scheduled jobs, reserve as many as max-in-flight allows and create a bare Kubernetes Job " +
      "for each (the agentify webhook turns it into the agent pod). Settings: defaults < --config file < environment < flags.",
    )
    .option("--config <file>", "agentify config YAML (agent-stack-k8s option names; env CONFIG)")
    .option("--kubeconfig <file>", "kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)")
    .option("--endpoint <url>", "stacks API base URL incl. /v3 (env BUILDKITE_AGENT_ENDPOINT; default agent-config.endpoint, else https://agent.buildkite.com/v3)")
    .option("--leader-elect", "run as one of several replicas: only the holder of a coordination.k8s.io Lease dispatches")
    .option("--leader-election-lease <name>", "the Lease's name, in the dispatcher's namespace", "agentify-dispatcher")
    .option("--leader-election-identity <id>", "this replica's identity (default: $POD_NAME, else hostname-pid)")
    .option("--leader-election-lease-duration <seconds>", "lease duration", "15")
    .option("--leader-election-renew-deadline <seconds>", "the leader gives up if it could not renew for this long", "10")
    .option("--leader-election-retry-period <seconds>", "how often replicas try and the leader renews", "2");
  for (const spec of DISPATCHER_OPTIONS) {
    const value = spec.kind === "bool" ? "[true|false]" : spec.kind === "list" ? "<k=v,...>" : "<value>";
    command.addOption(new Option(`--${spec.key} ${value}`, `${spec.help} (env ${envName(spec)})`));
  }
  command.addHelpText("after", "\nThe agent token comes from BUILDKITE_AGENT_TOKEN, else from the Secret named by --agent-token-secret (key BUILDKITE_AGENT_TOKEN).\n");
  command.action(async function (this: Command, flags: Record<string, unknown>) {
    // Loaded here, not at the top: every `agentify` subcommand imports this file, and the
    // dispatcher's dependencies are its own.
    const [{ resolveSettings }, { createLogger }, { startDispatcher }, { releaseStartupMemory }] = await Promise.all([
      import("./settings/resolve.ts"), import("./logger.ts"), import("./start.ts"), import("../bin/startup-memory.ts"),
    ]);
    let settings;
    try {
      settings = resolveSettings({ flags, env: process.env });
    } catch (err) {
      this.error(`agentify dispatcher: ${err instanceof Error ? err.message : String(err)}`, { exitCode: 2 });
    }
    const { config } = settings;
    const logger = createLogger({ level: config["log-level"] as Level, format: config["log-format"] });
    let handle: { stop(): Promise<void> };
    const startOptions = {
      config,
      ...(settings.kubeconfigPath ? { kubeconfigPath: settings.kubeconfigPath } : {}),
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      logger,
    };
    try {
      if (flags["leaderElect"] === true) {
        const { startElectedDispatcher } = await import("./leader/ha.ts");
        const { hostname } = await import("node:os");
        const seconds = (key: string): number => {
          const n = Number(flags[key]);
          if (!Number.isFinite(n) || n <= 0) throw new Error(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} must be a positive number of seconds, got ${String(flags[key])}`);
          return n * 1000;
        };
        handle = await startElectedDispatcher(startOptions, {
          namespace: config.namespace,
          leaseName: String(flags["leaderElectionLease"]),
          identity: String(flags["leaderElectionIdentity"] ?? process.env["POD_NAME"] ?? `${hostname()}-${String(process.pid)}`),
          timing: {
            leaseDurationMs: seconds("leaderElectionLeaseDuration"),
            renewDeadlineMs: seconds("leaderElectionRenewDeadline"),
            retryPeriodMs: seconds("leaderElectionRetryPeriod"),
          },
        });
      } else {
        handle = await startDispatcher(startOptions);
      }
    } catch (err) {
      logger.fatal({ err }, "dispatcher could not start");
      this.error(`agentify dispatcher: ${err instanceof Error ? err.message : String(err)}`, { exitCode: 1 });
    }
    // With NODE_COMPILE_CACHE set, write what start-up compiled now: a killed pod never exits normally.
    flushCompileCache();
    // Not at once: the first poll and its creates would wait for it.
    setTimeout(releaseStartupMemory, RELEASE_STARTUP_MEMORY_AFTER_MS).unref();
    const shutdown = (signal: NodeJS.Signals) => {
      logger.info({ signal }, "shutting down");
      setTimeout(() => {
        logger.error("shutdown took too long; exiting");
        process.exit(1);
      }, SHUTDOWN_BUDGET_MS).unref();
      void handle.stop().then(() => process.exit(0));
    };
    process.once("SIGTERM", shutdown);
    process.once("SIGINT", shutdown);
  });
}
