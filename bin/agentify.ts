#!/usr/bin/env node
// The single `agentify` executable: each front end registers its own subcommand. Only the
// module of the subcommand being run is loaded, so `render` does not pay for the Kubernetes
// client or express at start-up.
import { Command } from "commander";

type Register = (program: Command) => void;
const SUBCOMMANDS: Record<string, () => Promise<Register>> = {
  render: async () => (await import("../webhook/render/command.ts")).registerRender,
  webhook: async () => (await import("../webhook/server/command.ts")).registerWebhook,
  certs: async () => (await import("../certs/command.ts")).registerCerts,
  dispatcher: async () => (await import("../dispatcher/command.ts")).registerDispatcher,
};

const program = new Command("agentify")
  .description("Run Buildkite jobs on Kubernetes: agentify Jobs offline, as an admission webhook, or dispatch them from Buildkite.")
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode));

const requested = process.argv[2];
const only = requested !== undefined ? SUBCOMMANDS[requested] : undefined;
for (const load of only ? [only] : Object.values(SUBCOMMANDS)) (await load())(program);

await program.parseAsync(process.argv);
