// One HTTP attempt of the stacks client on node:http / node:https: send, read the whole body
// within the timeout, decode its Content-Encoding, and report a failure with the code of what
// happened. Retrying is the client's (client.ts). Connections are pooled and kept alive by
// Node's global agents (keep-alive since Node 19), as the stacks client has always used them.
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from "node:http";
import { globalAgent as httpsAgent, request as httpsRequest } from "node:https";
import { http } from "../http/node-http.ts";

export interface AttemptRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Budget for the whole attempt: connect, send, and the body read to its end. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface AttemptAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** No usable answer. */
export class AttemptFailure extends Error {
  readonly code: string;
  /** The answer's status and headers, when the failure came while reading its body. */
  readonly answer: { status: number; headers: IncomingHttpHeaders } | undefined;

  constructor(code: string, message: string, opts: { answer?: IncomingMessage | undefined; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "AttemptFailure";
    this.code = code;
    this.answer = opts.answer ? { status: opts.answer.statusCode ?? 0, headers: opts.answer.headers } : undefined;
  }
}

/** Codings a body can be decoded from; anything else is read as it came. */
const DECODERS = ["gzip", "deflate", "br", "zstd"] as const;
type Coding = (typeof DECODERS)[number];

/** Sent on every request: the codings this module decodes. */
export const ACCEPT_ENCODING = DECODERS.join(", ");

/**
 * The failure for a caller's abort: a timeout signal (AbortSignal.timeout) reads as a timeout.
 * Neither is retried: the signal stays aborted, so the wait before a retry ends at once.
 */
export function abortFailure(signal: AbortSignal): AttemptFailure {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === "TimeoutError") return new AttemptFailure("ETIMEDOUT", reason.message, { cause: reason });
  return new AttemptFailure("ERR_ABORTED", "This operation was aborted.", { cause: reason });
}

function asFailure(err: unknown): AttemptFailure {
  if (err instanceof AttemptFailure) return err;
  const code = (err as { code?: unknown } | null)?.code;
  return new AttemptFailure(typeof code === "string" && code !== "" ? code : "ERR_REQUEST", err instanceof Error ? err.message : String(err), { cause: err });
}

/** The codings applied to a body, outermost last; undefined if one of them is not decodable. */
function codingsOf(header: string | undefined): Coding[] | undefined {
  const codings = (header ?? "").toLowerCase().split(",").map((c) => c.trim()).filter((c) => c !== "" && c !== "identity")
    .map((c) => (c === "x-gzip" ? "gzip" : c));
  return codings.every((c): c is Coding => (DECODERS as readonly string[]).includes(c)) ? codings : undefined;
}

/** RFC 1950: method 8 (deflate) in the low nibble, and the two header bytes a multiple of 31. */
function hasZlibHeader(body: Buffer): boolean {
  return body.length >= 2 && (body[0]! & 0x0f) === 8 && ((body[0]! << 8) | body[1]!) % 31 === 0;
}

async function decode(body: Buffer, codings: Coding[]): Promise<Buffer> {
  if (body.length === 0 || codings.length === 0) return body;
  // Loaded only for a compressed answer.
  const zlib = await import("node:zlib");
  const run = (fn: (buf: Buffer, cb: (err: Error | null, out: Buffer) => void) => void, input: Buffer) =>
    new Promise<Buffer>((resolve, reject) => fn(input, (err, out) => (err ? reject(err) : resolve(out))));
  let out = body;
  for (const coding of codings.toReversed()) {
    if (out.length === 0) break;
    if (coding === "br") out = await run(zlib.brotliDecompress, out);
    else if (coding === "zstd") out = await run(zlib.zstdDecompress, out);
    // Servers send "deflate" both zlib-wrapped (as RFC 9110 says) and raw.
    else if (coding === "deflate" && !hasZlibHeader(out)) out = await run(zlib.inflateRaw, out);
    else out = await run(zlib.unzip, out);
  }
  return out;
}

/** Sends one request and reads its answer to the end, whatever its status. */
export function sendAttempt(spec: AttemptRequest): Promise<AttemptAnswer> {
  const { signal } = spec;
  if (signal?.aborted) return Promise.reject(abortFailure(signal));
  return new Promise<AttemptAnswer>((resolve, reject) => {
    let settled = false;
    let req: ClientRequest | undefined;
    let res: IncomingMessage | undefined;
    const finish = (err: unknown, answer?: AttemptAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err === undefined) return resolve(answer!);
      req?.destroy();
      reject(asFailure(err));
    };
    const onAbort = (): void => finish(abortFailure(signal!));
    const timer = setTimeout(() => finish(new AttemptFailure("ETIMEDOUT", `Timeout awaiting 'request' for ${spec.timeoutMs}ms`, { answer: res })), spec.timeoutMs);
    timer.unref();
    signal?.addEventListener("abort", onAbort, { once: true });

    const https = spec.url.protocol === "https:";
    try {
      req = (https ? httpsRequest : http.request)(spec.url, { method: spec.method, headers: spec.headers, agent: https ? httpsAgent : http.globalAgent });
    } catch (err) {
      return finish(err);
    }
    req.on("error", (err) => finish(err));
    req.on("response", (answer) => {
      res = answer;
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      // A connection closed before the body's end: the same code as a reset before the answer.
      answer.on("close", () => {
        if (!answer.complete) finish(new AttemptFailure("ECONNRESET", "The server aborted pending request", { answer }));
      });
      answer.on("error", (err) => {
        if (!answer.complete) finish(new AttemptFailure("ECONNRESET", "The server aborted pending request", { answer, cause: err }));
      });
      answer.on("end", () => {
        const status = answer.statusCode ?? 0;
        // An empty body (204, 304, …) is empty whatever its Content-Encoding says.
        decode(Buffer.concat(chunks), codingsOf(answer.headers["content-encoding"]) ?? []).then(
          (body) => finish(undefined, { status, headers: answer.headers, text: new TextDecoder().decode(body) }),
          (err: unknown) => finish(new AttemptFailure("ERR_READING_RESPONSE_STREAM", err instanceof Error ? err.message : String(err), { answer, cause: err })),
        );
      });
    });
    // The whole body at once: Node sends it with its Content-Length, not chunked.
    req.end(spec.body);
  });
}
