// The Lease calls on the apiserver (coordination.k8s.io/v1), for the elector: GET, POST and PUT
// of one Lease, nothing else (the Role allows exactly these). Plain JSON on the lean client
// (kube/http.ts), with a connection pool of its own so that renewals never queue behind the
// dispatcher's calls: the typed client would also turn MicroTime into a Date and write it back
// with millisecond precision, which the apiserver refuses ("cannot be handled as a Lease").
import { ApiException, KubeHttp } from "../kube/http.ts";
import type { KubeConnection } from "../kube/kubeconfig.ts";
import { LeaseConflict, type LeaseApi, type LeaseRecord, type StoredLease } from "./lease.ts";

/** Each call's limit: a round never waits longer than this for one answer. */
const CALL_TIMEOUT_MS = 10_000;

interface LeaseJson {
  metadata?: { resourceVersion?: string };
  spec?: Partial<LeaseRecord>;
}

function toStored(lease: LeaseJson | undefined): StoredLease {
  const s = lease?.spec ?? {};
  return {
    resourceVersion: lease?.metadata?.resourceVersion ?? "",
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
  readonly #http: KubeHttp;
  readonly #collection: string;
  readonly #path: string;
  readonly #name: string;
  readonly #namespace: string;

  constructor(connection: KubeConnection, namespace: string, name: string) {
    this.#http = new KubeHttp(connection, { maxSockets: 2 });
    this.#namespace = namespace;
    this.#name = name;
    this.#collection = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
    this.#path = `${this.#collection}/${encodeURIComponent(name)}`;
  }

  async get(): Promise<StoredLease | undefined> {
    try {
      return toStored(await this.#http.request<LeaseJson>("GET", this.#path, { timeoutMs: CALL_TIMEOUT_MS }));
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw this.#error(err, "read");
    }
  }

  async create(record: LeaseRecord): Promise<StoredLease> {
    try {
      return toStored(await this.#http.request<LeaseJson>("POST", this.#collection, { body: this.#body(record), timeoutMs: CALL_TIMEOUT_MS }));
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) throw new LeaseConflict(`lease ${this.#namespace}/${this.#name} already exists`);
      throw this.#error(err, "create");
    }
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease> {
    try {
      return toStored(await this.#http.request<LeaseJson>("PUT", this.#path, { body: this.#body(record, resourceVersion), timeoutMs: CALL_TIMEOUT_MS }));
    } catch (err) {
      if (err instanceof ApiException && err.code === 409) throw new LeaseConflict(`lease ${this.#namespace}/${this.#name} changed since resourceVersion ${resourceVersion}`);
      throw this.#error(err, "update");
    }
  }

  #body(spec: LeaseRecord, resourceVersion?: string): unknown {
    return {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: this.#name, namespace: this.#namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec,
    };
  }

  /** An error that names the Lease, the call and the apiserver's message (or the transport's). */
  #error(err: unknown, what: string): Error {
    if (!(err instanceof ApiException)) return new Error(`lease ${what} ${this.#namespace}/${this.#name}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    const text = typeof err.body === "string" ? err.body : "";
    let message = text.slice(0, 300);
    try {
      message = String((JSON.parse(text) as { message?: string }).message ?? message);
    } catch {
      // not a Status object
    }
    return new Error(`lease ${what} ${this.#namespace}/${this.#name}: HTTP ${String(err.code)}: ${message}`);
  }
}
