// The webhook under benchmark, in its own process as in production (and so that load generation
// and serving do not share a thread): `serve.ts <certDir> <configFile>`. Production settings:
// an audit line per review at info, to stdout (the parent discards it). Reports its URLs over IPC.
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { parseConfig } from "../../webhook/core/index.ts";
import { startWebhook } from "../../webhook/server/server.ts";

const [certDir, configPath] = process.argv.slice(2);
if (certDir === undefined || configPath === undefined) throw new Error("usage: serve.ts <certDir> <configFile>");
const server = await startWebhook({
  config: parseConfig(readFileSync(configPath, "utf8"), configPath),
  certDir, host: "127.0.0.1", port: 0, metricsPort: 0, logger: pino({ level: "info" }),
});
process.send?.({ url: server.mutateUrl, metricsUrl: server.metricsUrl });
process.on("disconnect", () => process.exit(0));
