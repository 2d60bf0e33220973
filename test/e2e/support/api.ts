// A small REST client for the test control plane: the admin client certificate, one keep-alive
// connection pool, raw status codes and bodies. client-node opens a new TLS connection per
// request (see dispatcher/kube/clients.ts) and hides the status code and the content type behind
// typed methods; the e2e tests and the admission benchmark need both (dryRun, strategic merge
// patches, impersonation headers, 403 vs 404).
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import type { Cluster } from "../../cluster/harness.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";

export interface ApiResponse {
  status: number;
  /** Parsed JSON body (a Status object for errors), or {} when the body was empty or not JSON. */
  body: JsonObject;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string | string[]>;
  timeoutMs?: number;
}

/** Impersonation of a ServiceAccount as its token would authenticate (user + its three groups). */
export function serviceAccountHeaders(namespace: string, name: string): Record<string, string | string[]> {
  return {
    "Impersonate-User": `system:serviceaccount:${namespace}:${name}`,
    "Impersonate-Group": ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
  };
}

export class ApiError extends Error {
  readonly status: number;
  readonly body: JsonObject;
  constructor(method: string, path: string, res: ApiResponse) {
    const message = typeof res.body["message"] === "string" ? res.body["message"] : res.text.slice(0, 500);
    super(`${method} ${path}: HTTP ${res.status}: ${message}`);
    this.status = res.status;
    this.body = res.body;
  }
}

export class KubeApi {
  readonly server: string;
  readonly #agent: Agent;

  constructor(cluster: Pick<Cluster, "server" | "caCertPath" | "adminCertPath" | "adminKeyPath">, maxSockets = 16) {
    this.server = cluster.server;
    this.#agent = new Agent({
      keepAlive: true,
      maxSockets,
      ca: readFileSync(cluster.caCertPath),
      cert: readFileSync(cluster.adminCertPath),
      key: readFileSync(cluster.adminKeyPath),
    });
  }

  /** Any request; never throws for HTTP error statuses. */
  request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string | string[] | number> = { accept: "application/json", ...opts.headers };
    if (payload) {
      headers["content-type"] = opts.contentType ?? "application/json";
      headers["content-length"] = payload.length;
    }
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.server), { method, agent: this.#agent, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: JsonObject = {};
          try {
            const parsed: unknown = JSON.parse(text);
            if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) body = parsed as JsonObject;
          } catch {
            // not JSON (e.g. a watch stream cut short): keep `text`
          }
          resolve({ status: res.statusCode ?? 0, body, text });
        });
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer after ${timeoutMs} ms`)));
      req.on("error", reject);
      req.end(payload);
    });
  }

  /** Like request(), but throws ApiError unless the status is 2xx; resolves to the body. */
  async ok(method: string, path: string, opts: RequestOptions = {}): Promise<JsonObject> {
    const res = await this.request(method, path, opts);
    if (res.status < 200 || res.status > 299) throw new ApiError(method, path, res);
    return res.body;
  }

  create(collectionPath: string, object: unknown, dryRun = false): Promise<JsonObject> {
    return this.ok("POST", collectionPath + (dryRun ? "?dryRun=All" : ""), { body: object });
  }

  get(path: string): Promise<JsonObject> {
    return this.ok("GET", path);
  }

  /** DELETE; a 404 counts as done. */
  async remove(path: string): Promise<void> {
    const res = await this.request("DELETE", path, { body: { propagationPolicy: "Background" } });
    if (res.status !== 404 && (res.status < 200 || res.status > 299)) throw new ApiError("DELETE", path, res);
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** Collection path of a namespaced resource, e.g. jobsPath("ns") = /apis/batch/v1/namespaces/ns/jobs. */
export const jobsPath = (ns: string): string => `/apis/batch/v1/namespaces/${ns}/jobs`;
export const podsPath = (ns: string): string => `/api/v1/namespaces/${ns}/pods`;
export const podTemplatesPath = (ns: string): string => `/api/v1/namespaces/${ns}/podtemplates`;
export const eventsPath = (ns: string): string => `/api/v1/namespaces/${ns}/events`;
