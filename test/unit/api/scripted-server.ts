// A bare HTTP server whose every answer the test writes itself, for what the stand-in never
// sends: compressed bodies, bodies cut short, stalls, redirects. It counts connections and
// records each request's method, path, headers and body.
import { createServer } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

export interface ScriptedServer {
  /** Base URL with the API's /v3 prefix. */
  url: string;
  requests: SeenRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** The handler for the next requests (index counts from 0 across the server's life). */
  answer(handler: Handler): void;
  stop(): Promise<void>;
}

export async function startScripted(handler: Handler = (_req, res) => res.end("{}")): Promise<ScriptedServer> {
  let current = handler;
  let connections = 0;
  const sockets = new Set<Socket>();
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), at: performance.now() });
      current(req, res, requests.length - 1);
    });
  });
  server.on("connection", (socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v3`,
    requests,
    connections: () => connections,
    answer: (next) => (current = next),
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers `status` with a JSON body and extra headers. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
