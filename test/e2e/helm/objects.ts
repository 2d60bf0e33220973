// What the helm install test reads back from the cluster, typed: the self-managed TLS Secret, the
// webhook configuration's caBundle, the dispatcher's pods and Lease, and leftovers by label.
import { X509Certificate } from "node:crypto";
import type { Cluster } from "../../cluster/harness.ts";

export interface ObjectMeta {
  name: string;
  uid: string;
  resourceVersion: string;
  labels?: Record<string, string>;
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  creationTimestamp?: string;
  managedFields?: { manager?: string; operation?: string; time?: string; fieldsV1?: unknown }[];
}

export interface TlsSecret {
  metadata: ObjectMeta;
  type: string;
  data: Record<string, string>;
}

export interface WebhookConfiguration {
  metadata: ObjectMeta;
  webhooks: { name: string; clientConfig: { caBundle?: string } }[];
}

export interface PodSummary {
  name: string;
  component: string | undefined;
  ready: boolean;
}

export class ClusterObjects {
  readonly #cluster: Cluster;
  readonly #namespace: string;

  constructor(cluster: Cluster, namespace: string) {
    this.#cluster = cluster;
    this.#namespace = namespace;
  }

  /** `kubectl get … -o json`, or undefined when the object does not exist. */
  async get<T>(args: string[], namespaced = true): Promise<T | undefined> {
    const res = await this.#cluster.kubectl([...(namespaced ? ["-n", this.#namespace] : []), "get", ...args, "-o", "json"]);
    if (res.code !== 0) {
      if (/NotFound|not found/.test(res.stderr)) return undefined;
      throw new Error(`kubectl get ${args.join(" ")}: ${res.stderr.trim()}`);
    }
    return JSON.parse(res.stdout) as T;
  }

  async list(kinds: string, selector?: string, namespaced = true): Promise<string[]> {
    const list = await this.get<{ items: { kind: string; metadata: ObjectMeta }[] }>([kinds, ...(selector ? ["-l", selector] : [])], namespaced);
    return (list?.items ?? []).map((o) => `${o.kind}/${o.metadata.name}`);
  }

  secret(name: string): Promise<TlsSecret | undefined> {
    return this.get<TlsSecret>(["secret", name]);
  }

  /** With managedFields: who wrote the caBundle, and when. */
  webhookConfiguration(name: string): Promise<WebhookConfiguration | undefined> {
    return this.get<WebhookConfiguration>(["mutatingwebhookconfiguration", name, "--show-managed-fields"], false);
  }

  async pods(selector: string): Promise<PodSummary[]> {
    const list = await this.get<{ items: { metadata: ObjectMeta; status?: { conditions?: { type: string; status: string }[] } }[] }>(["pods", "-l", selector]);
    return (list?.items ?? []).map((p) => ({
      name: p.metadata.name,
      component: p.metadata.labels?.["app.kubernetes.io/component"],
      ready: (p.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"),
    }));
  }

  async leaseHolder(name: string): Promise<string | undefined> {
    const lease = await this.get<{ spec?: { holderIdentity?: string } }>(["lease", name]);
    return lease?.spec?.holderIdentity;
  }
}

/** The Secret's ca.crt and tls.crt, parsed. */
export function secretCerts(secret: TlsSecret): { ca: X509Certificate; tls: X509Certificate } {
  const pem = (key: string): string => Buffer.from(secret.data[key] ?? "", "base64").toString("utf8");
  return { ca: new X509Certificate(pem("ca.crt")), tls: new X509Certificate(pem("tls.crt")) };
}

/** Every webhook's caBundle, in order ("" where unset). */
export function caBundles(mwc: WebhookConfiguration | undefined): string[] {
  return (mwc?.webhooks ?? []).map((w) => w.clientConfig.caBundle ?? "");
}
