// The webhook server's public face: the CLI registers `agentify webhook`, tests and the e2e
// suite start it programmatically.
export { registerWebhook } from "./command.ts";
export { startWebhook, agentifyCore } from "./server.ts";
export type { ShutdownOptions, TlsMinVersion, WebhookOptions, WebhookServer } from "./server.ts";
export type { AdmissionCore, AdmissionResult } from "./admit.ts";
export { MUTATE_JOBS_PATH } from "./app.ts";
export { MAX_BODY_BYTES } from "./decode.ts";
