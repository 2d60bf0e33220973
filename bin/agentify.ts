#!/usr/bin/env node
// The single `agentify` executable: each front end registers its own subcommand.
import { Command } from "commander";
import { registerRender } from "../webhook/render/command.ts";
import { registerWebhook } from "../webhook/server/command.ts";
import { registerCerts } from "../certs/command.ts";
import { registerDispatcher } from "../dispatcher/command.ts";

const program = new Command("agentify")
  .description("Run Buildkite jobs on Kubernetes: agentify Jobs offline, as an admission webhook, or dispatch them from Buildkite.")
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode));

registerRender(program);
registerWebhook(program);
registerCerts(program);
registerDispatcher(program);

await program.parseAsync(process.argv);
