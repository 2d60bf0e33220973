// HTTP to the apiserver: one keep-alive connection pool, JSON in and out, and errors mapped
// strictly. Any answer outside 2xx is an ApiException (code, body text, headers), the error type
// the dispatcher classifies (job/create-errors.ts); no @kubernetes/client-node (~85 MB of RSS and
// ~0.55 s of start-up when loaded; not in the image).
// Anything else (refused, reset, timed out) is a plain Error whose `cause` says what happened.
import type { Agent as HttpAgent, IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { http } from "../http/node-http.ts";
import { ApiException } from "./api-exception.ts";
import type { KubeConnection } from "./kubeconfig.ts";

export { ApiException };

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Default application/json (merge patches: application/merge-patch+json). */
  contentType?: string;
  timeoutMs?: number;
}

export interface WatchEvent {
  type: string;
  object: unknown;
}

/** Without a byte for this long a watch is presumed dead (the apiserver ends it at timeoutSeconds, and bookmarks come every minute). */
const WATCH_IDLE_MS = 6 * 60_000;
const DEFAULT_TIMEOUT_MS = 60_000;

function pathWithQuery(path: string, query: RequestOptions["query"]): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text === "" ? path : `${path}?${text}`;
}

function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) out[key] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}

function abortError(): Error {
  const err = new Error("watch aborted");
  err.name = "AbortError";
  return err;
}

function transportError(method: string, path: string, cause: unknown): Error {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${method} ${path.split("?")[0]}: ${detail}`, { cause });
}

export class KubeHttp {
  readonly #connection: KubeConnection;
  readonly #url: URL;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #request: typeof httpsRequest;

  constructor(connection: KubeConnection, opts: { maxSockets?: number } = {}) {
    this.#connection = connection;
    this.#url = new URL(connection.server);
    const pool = { keepAlive: true, maxSockets: opts.maxSockets ?? 50, maxFreeSockets: opts.maxSockets ?? 50, scheduling: "lifo" as const };
    if (this.#url.protocol === "http:") {
      this.#agent = new http.Agent(pool);
      this.#request = http.request as unknown as typeof httpsRequest;
    } else {
      this.#agent = new HttpsAgent({
        ...pool, rejectUnauthorized: !connection.insecureSkipTlsVerify,
        ...(connection.ca ? { ca: connection.ca } : {}),
        ...(connection.cert && connection.key ? { cert: connection.cert, key: connection.key } : {}),
        ...(connection.tlsServerName ? { servername: connection.tlsServerName } : {}),
      });
      this.#request = httpsRequest;
    }
  }

  #open(method: string, path: string, payload: { type: string; length: number } | undefined, signal: AbortSignal | undefined) {
    const headers: Record<string, string | number> = { accept: "application/json" };
    // Always a length: Node sends a DELETE body without one, which breaks the kept-alive connection.
    if (payload !== undefined) Object.assign(headers, { "content-type": payload.type, "content-length": payload.length });
    const token = this.#connection.token?.();
    if (token) headers["authorization"] = `Bearer ${token}`;
    const base = this.#url.pathname.replace(/\/+$/, "");
    return this.#request({
      protocol: this.#url.protocol, hostname: this.#url.hostname.replace(/^\[|\]$/g, ""), port: this.#url.port, method, path: `${base}${path}`,
      headers, agent: this.#agent, ...(signal ? { signal } : {}),
    });
  }

  /** One call; resolves with the parsed JSON body (undefined when empty). */
  request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const full = pathWithQuery(path, opts.query);
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body), "utf8");
    return new Promise<T>((resolve, reject) => {
      const req = this.#open(method, full, payload === undefined ? undefined : { type: opts.contentType ?? "application/json", length: payload.length }, undefined);
      req.setTimeout(opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`)));
      req.on("error", (err) => reject(transportError(method, full, err)));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("error", (err) => reject(transportError(method, full, err)));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status < 200 || status > 299) return reject(new ApiException(status, `${method} ${path}`, text, headersOf(res)));
          if (text === "") return resolve(undefined as T);
          try {
            resolve(JSON.parse(text) as T);
          } catch {
            reject(transportError(method, full, new Error(`answer is not JSON: ${text.slice(0, 200)}`)));
          }
        });
      });
      req.end(payload);
    });
  }

  /**
   * A watch request. `onEvent` gets each event as sent (ERROR events included); `onDone` is
   * called exactly once: with no argument when the server ended the stream, with an
   * ApiException for a non-2xx answer, an AbortError after abort(), or another Error.
   */
  watch(path: string, query: RequestOptions["query"], onEvent: (event: WatchEvent) => void, onDone: (err?: Error) => void): AbortController {
    const controller = new AbortController();
    const full = pathWithQuery(path, { ...query, watch: true });
    let finished = false;
    const done = (err?: Error): void => {
      if (finished) return;
      finished = true;
      onDone(err);
    };
    const req = this.#open("GET", full, undefined, controller.signal);
    req.setTimeout(WATCH_IDLE_MS, () => req.destroy(new Error(`watch silent for ${WATCH_IDLE_MS / 1000} s`)));
    req.on("error", (err) => done(err.name === "AbortError" ? err : transportError("GET", full, err)));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      res.setEncoding("utf8");
      if (status < 200 || status > 299) {
        let text = "";
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => done(new ApiException(status, `GET ${path} (watch)`, text, headersOf(res))));
        res.on("error", (err) => done(err));
        return;
      }
      let pending = "";
      res.on("data", (chunk: string) => {
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf("\n")) >= 0) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          if (line.trim() === "") continue;
          let event: WatchEvent;
          try {
            event = JSON.parse(line) as WatchEvent;
          } catch {
            req.destroy(new Error(`watch sent a line that is not JSON: ${line.slice(0, 200)}`));
            return;
          }
          onEvent(event);
        }
      });
      res.on("end", () => done());
      res.on("error", (err) => done(err.name === "AbortError" ? err : transportError("GET", full, err)));
      res.on("close", () => {
        if (!res.complete) done(controller.signal.aborted ? abortError() : transportError("GET", full, new Error("watch stream cut")));
      });
    });
    req.end();
    return controller;
  }

  /** Closes idle pooled connections (open requests finish). */
  close(): void {
    this.#agent.destroy();
  }
}
