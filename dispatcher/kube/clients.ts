// Kubernetes access for the dispatcher: the few calls it makes, all in one namespace, through
// one keep-alive connection pool and the client-side rate limit (watches excepted), on the
// apiserver's REST API directly (http.ts). Objects are the apiserver's JSON as sent: no typed
// round trip (timestamps stay strings; facts.ts and events.ts read both forms).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { BatchV1Api, CoreV1Api, CoreV1Event, KubeConfig, V1Job, V1Pod, V1PodTemplate, V1Secret } from "@kubernetes/client-node";
import type * as ClientNodeModule from "@kubernetes/client-node";
import { KubeHttp } from "./http.ts";
import type { RequestOptions } from "./http.ts";
import { loadKubeConnection } from "./kubeconfig.ts";
import type { KubeConnection } from "./kubeconfig.ts";
import { TokenBucket } from "./rate-limiter.ts";

export type { KubeConnection } from "./kubeconfig.ts";

/**
 * A client-node KubeConfig (--kubeconfig, else $KUBECONFIG / ~/.kube/config / in-cluster), for
 * code that still needs client-node; calling it loads @kubernetes/client-node (~85 MB, ~0.55 s).
 * The dispatcher itself uses loadKubeConnection.
 */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new (clientNode().KubeConfig)();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
}

export { loadKubeConnection };

/** The connection a client-node KubeConfig describes (its current context). */
function connectionOf(kc: KubeConfig): KubeConnection {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const user = kc.getCurrentUser();
  const file = (data: string | undefined, path: string | undefined): Buffer | undefined =>
    data ? Buffer.from(data, "base64") : path ? readFileSync(path) : undefined;
  const connection: KubeConnection = { server: cluster.server.replace(/\/+$/, ""), insecureSkipTlsVerify: cluster.skipTLSVerify === true };
  const ca = file(cluster.caData, cluster.caFile);
  if (ca) connection.ca = ca;
  const cert = file(user?.certData, user?.certFile);
  const key = file(user?.keyData, user?.keyFile);
  if (cert && key) Object.assign(connection, { cert, key });
  if (user?.token) {
    const token = user.token;
    connection.token = () => token;
  }
  if (user?.exec || user?.authProvider) throw new Error(`kubeconfig user ${user.name} uses exec/auth-provider, which agentify's Kubernetes client does not support`);
  return connection;
}

export interface KubeClientOptions {
  namespace: string;
  qps: number;
  burst: number;
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continueToken: string | undefined;
}

interface ListBody<T> {
  items?: T[];
  metadata?: { resourceVersion?: string; continue?: string };
}

type ClientNode = typeof ClientNodeModule;

/**
 * @kubernetes/client-node, loaded on first use only: tests and tools. It is a devDependency, not
 * in the image; the dispatcher never calls this.
 */
function clientNode(): ClientNode {
  return createRequire(import.meta.url)("@kubernetes/client-node") as ClientNode;
}

/** A connection as given, or the one a client-node KubeConfig describes (its current context). */
export function toKubeConnection(connection: KubeConnection | KubeConfig): KubeConnection {
  return "makeApiClient" in connection ? connectionOf(connection) : connection;
}

/** The calls the dispatcher makes, all in one namespace and all rate-limited (watches excepted). */
export class KubeClients {
  readonly connection: KubeConnection;
  readonly namespace: string;
  readonly http: KubeHttp;
  /** Watches (not rate-limited: one long request each). */
  readonly watch: Pick<KubeHttp, "watch">;
  readonly #limiter: TokenBucket;
  #kubeConfig: KubeConfig | undefined;

  /** `connection` from loadKubeConnection; a client-node KubeConfig is accepted too (its current context). */
  constructor(connection: KubeConnection | KubeConfig, opts: KubeClientOptions) {
    if ("makeApiClient" in connection) {
      this.#kubeConfig = connection;
      this.connection = connectionOf(connection);
    } else {
      this.connection = connection;
    }
    this.namespace = opts.namespace;
    this.http = new KubeHttp(this.connection);
    this.watch = this.http;
    this.#limiter = new TokenBucket(opts.qps, opts.burst);
  }

  /** Any call, rate-limited: for the API groups the named methods below do not cover. */
  async request<T>(method: string, path: string, opts?: RequestOptions): Promise<T> {
    await this.#limiter.take();
    return this.http.request<T>(method, path, opts);
  }

  #ns(resource: string, name?: string, group = "/api/v1"): string {
    return `${group}/namespaces/${encodeURIComponent(this.namespace)}/${resource}${name === undefined ? "" : `/${encodeURIComponent(name)}`}`;
  }

  createJob(job: V1Job): Promise<V1Job> {
    return this.request("POST", this.#ns("jobs", undefined, "/apis/batch/v1"), { body: job });
  }

  readJob(name: string): Promise<V1Job> {
    return this.request("GET", this.#ns("jobs", name, "/apis/batch/v1"));
  }

  async deleteJob(name: string): Promise<void> {
    await this.request("DELETE", this.#ns("jobs", name, "/apis/batch/v1"), { body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0, propagationPolicy: "Background" } });
  }

  /** Makes the job controller fail the Job at once (its pods are deleted), keeping the object. */
  async expireJob(name: string): Promise<void> {
    await this.request("PATCH", this.#ns("jobs", name, "/apis/batch/v1"), { body: { spec: { activeDeadlineSeconds: 1 } }, contentType: "application/merge-patch+json" });
  }

  async deletePod(name: string): Promise<void> {
    await this.request("DELETE", this.#ns("pods", name), { body: { kind: "DeleteOptions", apiVersion: "v1", gracePeriodSeconds: 0 } });
  }

  async readPodTemplateSpec(name: string): Promise<Record<string, unknown>> {
    const template = await this.request<V1PodTemplate>("GET", this.#ns("podtemplates", name));
    return (template.template?.spec ?? {}) as Record<string, unknown>;
  }

  async readSecretKey(name: string, key: string): Promise<string | undefined> {
    const secret = await this.request<V1Secret>("GET", this.#ns("secrets", name));
    const value = secret.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
  }

  async listEvents(kind: string, name: string): Promise<CoreV1Event[]> {
    const list = await this.request<ListBody<CoreV1Event>>("GET", this.#ns("events"), { query: { fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` } });
    return list.items ?? [];
  }

  async #list<T>(path: string, labelSelector: string, limit: number, continueToken: string | undefined): Promise<ListPage<T>> {
    const list = await this.request<ListBody<T>>("GET", path, { query: { labelSelector, limit, continue: continueToken || undefined } });
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? "", continueToken: list.metadata?.continue || undefined };
  }

  listJobs(labelSelector: string, limit: number, continueToken: string | undefined): Promise<ListPage<V1Job>> {
    return this.#list<V1Job>(this.#ns("jobs", undefined, "/apis/batch/v1"), labelSelector, limit, continueToken);
  }

  listPods(labelSelector: string, limit: number, continueToken: string | undefined): Promise<ListPage<unknown>> {
    return this.#list<V1Pod>(this.#ns("pods"), labelSelector, limit, continueToken);
  }

  close(): void {
    this.http.close();
  }

  /** A client-node KubeConfig for the same cluster and user: loads @kubernetes/client-node (~85 MB). */
  get kubeConfig(): KubeConfig {
    if (this.#kubeConfig === undefined) {
      this.#kubeConfig = loadKubeConfig(this.connection.kubeconfigPath);
    }
    return this.#kubeConfig;
  }

  /** client-node's typed batch/v1 client (tests and tools only; see kubeConfig). */
  get batch(): BatchV1Api {
    return this.kubeConfig.makeApiClient(clientNode().BatchV1Api);
  }

  /** client-node's typed core/v1 client (tests and tools only; see kubeConfig). */
  get core(): CoreV1Api {
    return this.kubeConfig.makeApiClient(clientNode().CoreV1Api);
  }
}
