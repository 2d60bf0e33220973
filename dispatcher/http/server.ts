// The dispatcher's plain-HTTP endpoints: /metrics (Prometheus), /healthz (the process answers),
// /readyz (registered, informers synced, and polling Buildkite successfully).
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "../../metrics/registry.ts";
import { http } from "./node-http.ts";

export interface Readiness {
  /** undefined when ready; otherwise why not. */
  notReadyReason(): string | undefined;
}

export interface HttpEndpoints {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** What /metrics serves: a registry, or several written one after the other. */
export type Exposition = Pick<Registry, "contentType" | "metrics">;

export async function startHttpEndpoints(opts: { port: number; host?: string; registry: Exposition; readiness: Readiness }): Promise<HttpEndpoints> {
  const server: Server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    if (path === "/healthz") {
      res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
    } else if (path === "/readyz") {
      const reason = opts.readiness.notReadyReason();
      res.writeHead(reason === undefined ? 200 : 503, { "content-type": "application/json" })
        .end(JSON.stringify(reason === undefined ? { ready: true } : { ready: false, reason }) + "\n");
    } else if (path === "/metrics") {
      opts.registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": opts.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { "content-type": "text/plain" }).end(`${String(err)}\n`),
      );
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
    }
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.listen(opts.port, opts.host ?? "0.0.0.0");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const host = !opts.host || opts.host === "0.0.0.0" ? "127.0.0.1" : opts.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
