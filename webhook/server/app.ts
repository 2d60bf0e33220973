// Routes of the HTTPS listener. The admission route reads its own body (no express.json):
// size limits, content types and error answers stay under this package's control.
import express from "express";
import type { Express, NextFunction, Request, Response } from "express";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { healthz, readyz } from "./health.ts";
import type { Readiness } from "./health.ts";

export const MUTATE_JOBS_PATH = "/mutate/jobs";

export interface WebhookAppDeps {
  admissionHandler: (req: IncomingMessage, res: ServerResponse) => void;
  readiness: Readiness;
  logger: Logger;
}

function plain(res: Response, status: number, text: string): void {
  res.status(status).type("text/plain").send(`${text}\n`);
}

export function createWebhookApp(deps: WebhookAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // The apiserver calls `POST /mutate/jobs?timeout=10s`; routing is on the path only.
  app.post(MUTATE_JOBS_PATH, (req, res) => deps.admissionHandler(req, res));
  app.all(MUTATE_JOBS_PATH, (_req, res) => {
    res.setHeader("allow", "POST");
    plain(res, 405, "method not allowed");
  });
  app.get("/healthz", healthz);
  app.get("/readyz", readyz(deps.readiness));
  app.use((_req, res) => plain(res, 404, "not found"));
  // Express's own default prints a stack trace as HTML; answer plainly and log instead.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error({ err }, "unhandled error in HTTP route");
    if (!res.headersSent) plain(res, 500, "internal error");
  });
  return app;
}
