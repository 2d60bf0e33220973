// The webhook under benchmark, run as a child of bench.ts so load generation and serving do
// not share a thread: `serve.ts <certDir> [auditLevel]`. Production settings: the audit line
// of every review, with the redacted patch at info, goes to stdout asynchronously as the
// `agentify webhook` command writes it (the parent discards it).
// Reports its port over IPC.
import { pino } from "pino";
import type { Level } from "pino";
import { defaultConfig } from "../../webhook/core/index.ts";
import { startWebhook } from "../../webhook/server/server.ts";

const [certDir, auditLevel = "info"] = process.argv.slice(2);
if (certDir === undefined) throw new Error("usage: serve.ts <certDir> [auditLevel]");
const server = await startWebhook({
  config: defaultConfig(), certDir, host: "127.0.0.1", port: 0, metricsPort: 0, logger: pino({ level: "info" }, pino.destination({ dest: 1, sync: false })), auditLevel: auditLevel as Level,
});
process.send?.({ port: server.port });
// Exit with the parent (also lets --cpu-prof write its profile on a normal exit).
process.on("disconnect", () => process.exit(0));
// The parent asks for a memory breakdown (RSS vs V8 heap vs buffers) after each run.
process.on("message", (message) => {
  if (message === "memory") process.send?.({ memory: process.memoryUsage() });
});
