// A plain-HTTP stand-in for the few apiserver calls `certs ensure-secret` and
// `certs inject-ca-bundle` make: Secrets (get, create, update with resourceVersion) and
// MutatingWebhookConfigurations (get, strategic-merge patch of webhooks by name). Any call can
// be made to fail with a Status, and every call is recorded.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export interface StoredObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string>; ownerReferences?: { uid: string; name: string; kind: string; apiVersion: string }[] };
  type?: string;
  data?: Record<string, string>;
  webhooks?: { name: string; clientConfig?: { caBundle?: string; service?: unknown } }[];
}

export interface Failure {
  status: number;
  reason: string;
  message: string;
}

const SECRET = /^\/api\/v1\/namespaces\/([^/]+)\/secrets(?:\/([^/]+))?$/;
const MWC = /^\/apis\/admissionregistration\.k8s\.io\/v1\/mutatingwebhookconfigurations\/([^/]+)$/;

export class FakeApiserver {
  readonly secrets = new Map<string, StoredObject>();
  readonly webhookConfigurations = new Map<string, StoredObject>();
  /** "METHOD path" of every request, in order. */
  readonly calls: string[] = [];
  /** "METHOD path" → the Status to answer instead. */
  readonly failures = new Map<string, Failure>();
  /** Content types of PATCH requests. */
  readonly patchTypes: string[] = [];
  #server: Server | undefined;
  #version = 100;

  async start(): Promise<string> {
    this.#server = createServer((req, res) => void this.#handle(req, res));
    await new Promise<void>((resolve) => this.#server?.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.#server?.close(() => resolve()));
  }

  /** A kubeconfig file in `dir` for this server. */
  writeKubeconfig(dir: string, url: string): string {
    const path = join(dir, "kubeconfig");
    writeFileSync(path, [
      "apiVersion: v1", "kind: Config", "current-context: fake",
      "clusters: [{name: fake, cluster: {server: '" + url + "'}}]",
      "contexts: [{name: fake, context: {cluster: fake, user: fake}}]",
      "users: [{name: fake, user: {token: fake-token}}]", "",
    ].join("\n"));
    return path;
  }

  putSecret(namespace: string, secret: StoredObject): void {
    this.secrets.set(`${namespace}/${secret.metadata.name}`, this.#stamp({ ...secret, metadata: { ...secret.metadata, namespace } }));
  }

  putWebhookConfiguration(mwc: StoredObject): void {
    this.webhookConfigurations.set(mwc.metadata.name, this.#stamp({ ...mwc, metadata: { uid: `uid-${mwc.metadata.name}`, ...mwc.metadata } }));
  }

  #stamp(obj: StoredObject): StoredObject {
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.#version) } };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const path = (req.url ?? "").split("?")[0] ?? "";
    const method = req.method ?? "";
    this.calls.push(`${method} ${path}`);
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const fail = (f: Failure): void => send(f.status, { kind: "Status", apiVersion: "v1", status: "Failure", message: f.message, reason: f.reason, code: f.status });
    const injected = this.failures.get(`${method} ${path}`);
    if (injected) return fail(injected);
    const body = text === "" ? undefined : (JSON.parse(text) as StoredObject);

    const secret = SECRET.exec(path);
    if (secret) {
      const [, ns, name] = secret;
      const key = `${ns}/${name}`;
      if (method === "POST" && name === undefined && body) {
        const id = `${ns}/${body.metadata.name}`;
        if (this.secrets.has(id)) return fail({ status: 409, reason: "AlreadyExists", message: `secrets "${body.metadata.name}" already exists` });
        this.putSecret(ns ?? "", body);
        return send(201, this.secrets.get(id));
      }
      const stored = this.secrets.get(key);
      if (!stored) return fail({ status: 404, reason: "NotFound", message: `secrets "${name}" not found` });
      if (method === "GET") return send(200, stored);
      if (method === "PUT" && body) {
        if (body.metadata.resourceVersion !== stored.metadata.resourceVersion) return fail({ status: 409, reason: "Conflict", message: "the object has been modified" });
        this.putSecret(ns ?? "", body);
        return send(200, this.secrets.get(key));
      }
    }
    const mwc = MWC.exec(path);
    if (mwc) {
      const stored = this.webhookConfigurations.get(mwc[1] ?? "");
      if (!stored) return fail({ status: 404, reason: "NotFound", message: `mutatingwebhookconfigurations.admissionregistration.k8s.io "${mwc[1]}" not found` });
      if (method === "GET") return send(200, stored);
      if (method === "PATCH" && body) {
        this.patchTypes.push(String(req.headers["content-type"]));
        const webhooks = (stored.webhooks ?? []).map((w) => {
          const change = body.webhooks?.find((p) => p.name === w.name);
          return change ? { ...w, clientConfig: { ...w.clientConfig, ...change.clientConfig } } : w;
        });
        this.webhookConfigurations.set(stored.metadata.name, this.#stamp({ ...stored, webhooks }));
        return send(200, this.webhookConfigurations.get(stored.metadata.name));
      }
    }
    fail({ status: 405, reason: "MethodNotAllowed", message: `${method} ${path} is not faked` });
  }
}
