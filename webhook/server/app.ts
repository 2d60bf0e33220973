// Routes of the HTTPS listener: POST /mutate/jobs, GET /healthz and /readyz, nothing else.
// Four routes need no framework; express alone added ~22 MB of RSS and ~100 ms of start-up, and
// a router walk on every review. Paths match as express matched them: on the path only (the
// apiserver calls `POST /mutate/jobs?timeout=10s`), case-insensitively, one trailing slash allowed;
// HEAD is answered as GET.
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

function plain(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(`${text}\n`);
  res.writeHead(status, { ...headers, "content-type": "text/plain; charset=utf-8", "content-length": body.length }).end(body);
}

/** The request's path, without query, lower-cased, without one trailing slash. */
export function routePath(url: string | undefined): string {
  const raw = url ?? "/";
  const query = raw.indexOf("?");
  const path = (query === -1 ? raw : raw.slice(0, query)).toLowerCase();
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

export function createWebhookApp(deps: WebhookAppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const ready = readyz(deps.readiness);
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const path = routePath(req.url);
    const read = req.method === "GET" || req.method === "HEAD";
    if (path === MUTATE_JOBS_PATH) {
      if (req.method === "POST") deps.admissionHandler(req, res);
      else plain(res, 405, "method not allowed", { allow: "POST" });
    } else if (path === "/healthz" && read) {
      healthz(req, res);
    } else if (path === "/readyz" && read) {
      ready(req, res);
    } else {
      plain(res, 404, "not found");
    }
  };
  return (req, res) => {
    try {
      route(req, res);
    } catch (err) {
      deps.logger.error({ err }, "unhandled error in HTTP route");
      if (!res.headersSent) plain(res, 500, "internal error");
    }
  };
}
