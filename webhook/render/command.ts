// `agentify render`: reads Jobs from a file or stdin and prints them agentified.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { ConfigError } from "../core/index.ts";
import { loadConfigFile } from "../config-file.ts";
import { RenderError, renderDocuments, type RenderFormat } from "./render.ts";

const FORMATS: readonly RenderFormat[] = ["yaml", "json", "patch"];

export function registerRender(program: Command): void {
  program
    .command("render")
    .description("Agentify Jobs offline: read Jobs (multi-document YAML or JSON) and print them as the webhook would patch them.")
    .requiredOption("-f, --filename <file>", "file to read, or - for standard input")
    .option("-c, --config <file>", "agentify config file (YAML, agent-stack-k8s option names); defaults apply without one")
    .option("-o, --output <format>", "yaml (agentified documents), json, or patch (RFC 6902 JSON patch per Job)", "yaml")
    .action((opts: { filename: string; config?: string; output: string }) => {
      process.exitCode = runRender(opts);
    });
}

function runRender(opts: { filename: string; config?: string; output: string }): number {
  if (!FORMATS.includes(opts.output as RenderFormat)) {
    process.stderr.write(`error: --output must be one of ${FORMATS.join(", ")}, got ${JSON.stringify(opts.output)}\n`);
    return 2;
  }
  try {
    const config = loadConfigFile(opts.config);
    const source = opts.filename === "-" ? "<stdin>" : opts.filename;
    const text = readFileSync(opts.filename === "-" ? 0 : opts.filename, "utf8");
    process.stdout.write(renderDocuments(text, source, config, opts.output as RenderFormat));
    return 0;
  } catch (err) {
    if (err instanceof RenderError || err instanceof ConfigError) {
      process.stderr.write(`error: ${err.message}\n`);
      return 1;
    }
    if ((err as NodeJS.ErrnoException).code === "ENOENT") {
      process.stderr.write(`error: ${opts.filename}: no such file\n`);
      return 1;
    }
    throw err;
  }
}
