// A minimal Agent API client: the calls buildkite-agent makes to run one job, made
// with plain fetch. For the stand-in's own tests and for scripted agents in
// end-to-end tests; it checks nothing itself (it returns status, headers and body),
// so a test can send what the real agent would and also what it never would.
import { gzipSync } from "node:zlib";

export interface AgentAnswer<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the text when the body is not JSON ("" when empty). */
  body: T;
}

export interface ChunkOptions {
  /** Send the bytes as they are, without gzip (the real agent never does). */
  plain?: boolean;
  /** Claimed uncompressed size; default the data's length. */
  size?: number;
}

export class AgentApiClient {
  readonly endpoint: string;
  /** The cluster token before register, the access token after. */
  token: string;
  /** Per-job tokens from acquire, used for that job's calls (as the agent does). */
  readonly jobTokens = new Map<string, string>();

  /** `endpoint` is the API base URL, e.g. http://127.0.0.1:8080/v3. */
  constructor(endpoint: string, clusterToken: string) {
    this.endpoint = endpoint.replace(/\/+$/, "");
    this.token = clusterToken;
  }

  async request<T = unknown>(method: string, path: string, opts: { json?: unknown; body?: Buffer; headers?: Record<string, string>; token?: string } = {}): Promise<AgentAnswer<T>> {
    const headers: Record<string, string> = { authorization: `Token ${opts.token ?? this.token}`, "user-agent": "agentify-standin-test/0", ...opts.headers };
    let body: string | Buffer | undefined = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      headers["content-type"] = "application/json";
    }
    const res = await fetch(`${this.endpoint}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === "" ? "" : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  #jobToken(jobId: string): string | undefined {
    return this.jobTokens.get(jobId);
  }

  /** Registers and, on success, switches to the returned access token. */
  async register(fields: Record<string, unknown> = {}): Promise<AgentAnswer<Record<string, unknown>>> {
    const answer = await this.request<Record<string, unknown>>("POST", "/register", {
      json: { name: "standin-test-agent", hostname: "localhost", meta_data: ["queue=kubernetes"], ignore_in_dispatches: true, features: ["acquire-job"], version: "3.136.2", ...fields },
    });
    if (answer.status === 200 && typeof answer.body.access_token === "string") this.token = answer.body.access_token;
    return answer;
  }

  connect = () => this.request("POST", "/connect");
  heartbeat = () => this.request<Record<string, unknown>>("POST", "/heartbeat", { json: { sent_at: new Date().toISOString() } });
  ping = () => this.request<Record<string, unknown>>("GET", "/ping");
  disconnect = () => this.request("POST", "/disconnect");

  /** Acquires with the agent's headers; keeps the job token it returns. */
  async acquire(jobId: string, attempt = 0): Promise<AgentAnswer<Record<string, unknown>>> {
    const answer = await this.request<Record<string, unknown>>("PUT", `/jobs/${jobId}/acquire`, {
      headers: { "x-buildkite-lock-acquire-job": "1", "x-buildkite-backoff-sequence": String(attempt) },
    });
    if (answer.status === 200 && typeof answer.body.token === "string" && answer.body.token !== "") this.jobTokens.set(jobId, answer.body.token);
    return answer;
  }

  start(jobId: string) {
    return this.request("PUT", `/jobs/${jobId}/start`, { json: { started_at: new Date().toISOString() }, ...this.#with(jobId) });
  }

  state(jobId: string) {
    return this.request<{ state?: string }>("GET", `/jobs/${jobId}`, this.#with(jobId));
  }

  /** One log chunk, gzip-compressed as the agent sends it. */
  chunk(jobId: string, sequence: number, offset: number, data: string | Buffer, opts: ChunkOptions = {}) {
    const bytes = Buffer.from(data);
    const size = opts.size ?? bytes.length;
    return this.request("POST", `/jobs/${jobId}/chunks?sequence=${sequence}&offset=${offset}&size=${size}`, {
      body: opts.plain ? bytes : gzipSync(bytes),
      headers: opts.plain ? { "content-type": "text/plain" } : { "content-type": "text/plain", "content-encoding": "gzip" },
      ...this.#with(jobId),
    });
  }

  /** `fields` as the agent sends them: `exit_status` a string, `signal_reason`, `chunks_failed_count`, … */
  finish(jobId: string, fields: Record<string, unknown>) {
    return this.request("PUT", `/jobs/${jobId}/finish`, { json: { finished_at: new Date().toISOString(), chunks_failed_count: 0, ...fields }, ...this.#with(jobId) });
  }

  metaData(jobId: string, action: "exists" | "set" | "get" | "keys" | "set-batch", body: unknown) {
    return this.request<Record<string, unknown>>("POST", `/jobs/${jobId}/data/${action}`, { json: body, ...this.#with(jobId) });
  }

  #with(jobId: string): { token?: string } {
    const token = this.#jobToken(jobId);
    return token === undefined ? {} : { token };
  }
}
