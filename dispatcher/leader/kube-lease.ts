// The Lease calls on the apiserver (coordination.k8s.io/v1), for the elector.
import { ApiException, CoordinationV1Api, type KubeConfig, type V1Lease } from "@kubernetes/client-node";
import { LeaseConflict, type LeaseApi, type LeaseRecord, type StoredLease } from "./lease.ts";

function toStored(lease: V1Lease): StoredLease {
  const s = lease.spec ?? {};
  // client-node turns MicroTime into Date; keep the apiserver's string form.
  const time = (t: unknown): string => (t instanceof Date ? t.toISOString() : String(t ?? ""));
  return {
    resourceVersion: lease.metadata?.resourceVersion ?? "",
    record: {
      holderIdentity: s.holderIdentity ?? "",
      leaseDurationSeconds: s.leaseDurationSeconds ?? 0,
      acquireTime: time(s.acquireTime),
      renewTime: time(s.renewTime),
      leaseTransitions: s.leaseTransitions ?? 0,
    },
  };
}

function body(name: string, namespace: string, r: LeaseRecord, resourceVersion?: string): V1Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: { name, namespace, ...(resourceVersion ? { resourceVersion } : {}) },
    spec: {
      holderIdentity: r.holderIdentity,
      leaseDurationSeconds: r.leaseDurationSeconds,
      acquireTime: new Date(r.acquireTime),
      renewTime: new Date(r.renewTime),
      leaseTransitions: r.leaseTransitions,
    },
  };
}

const status = (err: unknown): number | undefined => (err instanceof ApiException ? err.code : undefined);

export class KubeLease implements LeaseApi {
  readonly #api: CoordinationV1Api;
  readonly #name: string;
  readonly #namespace: string;

  constructor(kubeConfig: KubeConfig, namespace: string, name: string) {
    this.#api = kubeConfig.makeApiClient(CoordinationV1Api);
    this.#namespace = namespace;
    this.#name = name;
  }

  async get(): Promise<StoredLease | undefined> {
    try {
      return toStored(await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace }));
    } catch (err) {
      if (status(err) === 404) return undefined;
      throw err;
    }
  }

  async create(record: LeaseRecord): Promise<StoredLease> {
    try {
      return toStored(await this.#api.createNamespacedLease({ namespace: this.#namespace, body: body(this.#name, this.#namespace, record) }));
    } catch (err) {
      if (status(err) === 409) throw new LeaseConflict(`lease ${this.#namespace}/${this.#name} already exists`);
      throw err;
    }
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease> {
    try {
      return toStored(await this.#api.replaceNamespacedLease({
        name: this.#name, namespace: this.#namespace, body: body(this.#name, this.#namespace, record, resourceVersion),
      }));
    } catch (err) {
      if (status(err) === 409) throw new LeaseConflict(`lease ${this.#namespace}/${this.#name} changed since resourceVersion ${resourceVersion}`);
      throw err;
    }
  }
}
