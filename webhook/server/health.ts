// Liveness and readiness. /healthz answers while the process can serve HTTP at all;
// /readyz only once a certificate is loaded and the listener is bound, and no longer
// once shutdown has begun, so the Service stops sending reviews before the listener closes.
import type { IncomingMessage, ServerResponse } from "node:http";

export interface Readiness {
  certificateLoaded: boolean;
  listening: boolean;
  shuttingDown: boolean;
}

export function newReadiness(): Readiness {
  return { certificateLoaded: false, listening: false, shuttingDown: false };
}

/** Why the webhook is not ready, or undefined when it is. */
export function notReadyBecause(state: Readiness): string | undefined {
  if (state.shuttingDown) return "shutting down";
  if (!state.certificateLoaded) return "no serving certificate loaded";
  if (!state.listening) return "listener not open";
  return undefined;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" }).end(`${text}\n`);
}

export function healthz(_req: IncomingMessage, res: ServerResponse): void {
  sendText(res, 200, "ok");
}

export function readyz(state: Readiness): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    const why = notReadyBecause(state);
    sendText(res, why === undefined ? 200 : 503, why === undefined ? "ok" : `not ready: ${why}`);
  };
}
