// The Lease calls on the apiserver (coordination.k8s.io/v1), for the elector. Plain JSON over the
// kubeconfig's TLS settings: the typed client turns MicroTime into a Date and writes it back with
// millisecond precision, which the apiserver refuses ("cannot be handled as a Lease").
import { request } from "node:https";
import type { RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { LeaseConflict, type LeaseApi, type LeaseRecord, type StoredLease } from "./lease.ts";

interface LeaseJson {
  metadata?: { resourceVersion?: string };
  spec?: Partial<LeaseRecord>;
}

function toStored(lease: LeaseJson): StoredLease {
  const s = lease.spec ?? {};
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? "",
    record: {
      holderIdentity: s.holderIdentity ?? "",
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      acquireTime: s.acquireTime ?? "",
      renewTime: s.renewTime ?? "",
      leaseTransitions: s.leaseTransitions ?? 0,
    },
  };
}

export class KubeLease implements LeaseApi {
  readonly #kc: KubeConfig;
  readonly #collection: string;
  readonly #name: string;
  readonly #namespace: string;

  constructor(kubeConfig: KubeConfig, namespace: string, name: string) {
    this.#kc = kubeConfig;
    this.#namespace = namespace;
    this.#name = name;
    this.#collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
  }

  async get(): Promise<StoredLease | undefined> {
    const res = await this.#call("GET", `${this.#collection}/${encodeURIComponent(this.#name)}`);
    if (res.status === 404) return undefined;
    return toStored(this.#ok(res, "read"));
  }

  async create(record: LeaseRecord): Promise<StoredLease> {
    const res = await this.#call("POST", this.#collection, this.#body(record));
    if (res.status === 409) throw new LeaseConflict(`lease ${this.#namespace}/${this.#name} already exists`);
    return toStored(this.#ok(res, "create"));
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease> {
    const res = await this.#call("PUT", `${this.#collection}/${encodeURIComponent(this.#name)}`, this.#body(record, resourceVersion));
    if (res.status === 409) throw new LeaseConflict(`lease ${this.#namespace}/${this.#name} changed since resourceVersion ${resourceVersion}`);
    return toStored(this.#ok(res, "update"));
  }

  #body(spec: LeaseRecord, resourceVersion?: string): string {
    return JSON.stringify({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.#name, namespace: this.#namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec,
    });
  }

  #ok(res: { status: number; body: string }, what: string): LeaseJson {
    if (res.status < 200 || res.status >= 300) {
      let message = res.body.slice(0, 300);
      try {
        message = String((JSON.parse(res.body) as { message?: string }).message ?? message);
      } catch {
        // not a Status object
      }
      throw new Error(`lease ${what} ${this.#namespace}/${this.#name}: HTTP ${String(res.status)}: ${message}`);
    }
    return JSON.parse(res.body) as LeaseJson;
  }

  async #call(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
    const server = this.#kc.getCurrentCluster()?.server;
    if (!server) throw new Error("kubeconfig has no current cluster");
    const url = new URL(path, server);
    const opts: RequestOptions = {
      method, hostname: url.hostname, port: url.port, path: url.pathname,
      headers: { accept: "application/json", ...(body ? { "content-type": "application/json" } : {}) },
      timeout: 10_000,
    };
    await this.#kc.applyToHTTPSOptions(opts);
    return new Promise((resolve, reject) => {
      const req = request(opts, (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`lease ${method} ${path}: timed out`)));
      req.on("error", reject);
      req.end(body);
    });
  }
}
