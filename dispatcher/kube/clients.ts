// Kubernetes access for the dispatcher: kubeconfig loading, one connection pool for all
// requests, the client-side rate limit, and the few calls the dispatcher makes.
import { BatchV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, Watch } from "@kubernetes/client-node";
import type { CoreV1Event, RequestContext, V1Job, V1JobList, V1PodList } from "@kubernetes/client-node";
import { TokenBucket } from "./rate-limiter.ts";

/**
 * client-node builds a new undici Agent (so a new TLS connection) for every request; this keeps
 * the first one, so requests reuse connections as client-go's do.
 */
class PooledKubeConfig extends KubeConfig {
  #dispatcher: ReturnType<RequestContext["getDispatcher"]>;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    this.#dispatcher ??= fresh;
    context.setDispatcher(this.#dispatcher);
  }
}

/** --kubeconfig, else $KUBECONFIG / ~/.kube/config / in-cluster service account. */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new PooledKubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  return kc;
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

/** The calls the dispatcher makes, all in one namespace and all rate-limited (watches excepted). */
export class KubeClients {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly batch: BatchV1Api;
  readonly core: CoreV1Api;
  readonly watch: Watch;
  readonly #limiter: TokenBucket;

  constructor(kubeConfig: KubeConfig, opts: KubeClientOptions) {
    this.kubeConfig = kubeConfig;
    this.namespace = opts.namespace;
    this.batch = kubeConfig.makeApiClient(BatchV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.watch = new Watch(kubeConfig);
    this.#limiter = new TokenBucket(opts.qps, opts.burst);
  }

  async #limited<T>(call: () => Promise<T>): Promise<T> {
    await this.#limiter.take();
    return call();
  }

  createJob(job: V1Job): Promise<V1Job> {
    return this.#limited(() => this.batch.createNamespacedJob({ namespace: this.namespace, body: job }));
  }

  readJob(name: string): Promise<V1Job> {
    return this.#limited(() => this.batch.readNamespacedJob({ namespace: this.namespace, name }));
  }

  async deleteJob(name: string): Promise<void> {
    await this.#limited(() =>
      this.batch.deleteNamespacedJob({ namespace: this.namespace, name, gracePeriodSeconds: 0, propagationPolicy: "Background" }));
  }

  /** Makes the job controller fail the Job at once (its pods are deleted), keeping the object. */
  async expireJob(name: string): Promise<void> {
    await this.#limited(() =>
      this.batch.patchNamespacedJob(
        { namespace: this.namespace, name, body: { spec: { activeDeadlineSeconds: 1 } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ));
  }

  async deletePod(name: string): Promise<void> {
    await this.#limited(() => this.core.deleteNamespacedPod({ namespace: this.namespace, name, gracePeriodSeconds: 0 }));
  }

  async readPodTemplateSpec(name: string): Promise<Record<string, unknown>> {
    const template = await this.#limited(() => this.core.readNamespacedPodTemplate({ namespace: this.namespace, name }));
    // Typed models → plain JSON (the bare Job is plain JSON).
    return JSON.parse(JSON.stringify(template.template?.spec ?? {})) as Record<string, unknown>;
  }

  async readSecretKey(name: string, key: string): Promise<string | undefined> {
    const secret = await this.#limited(() => this.core.readNamespacedSecret({ namespace: this.namespace, name }));
    const value = secret.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
  }

  async listEvents(kind: string, name: string): Promise<CoreV1Event[]> {
    const list = await this.#limited(() =>
      this.core.listNamespacedEvent({ namespace: this.namespace, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` }));
    return list.items;
  }

  async listJobs(labelSelector: string, limit: number, continueToken: string | undefined): Promise<ListPage<V1Job>> {
    const list: V1JobList = await this.#limited(() =>
      this.batch.listNamespacedJob({ namespace: this.namespace, labelSelector, limit, ...(continueToken ? { _continue: continueToken } : {}) }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "", continueToken: list.metadata?._continue || undefined };
  }

  async listPods(labelSelector: string, limit: number, continueToken: string | undefined): Promise<ListPage<unknown>> {
    const list: V1PodList = await this.#limited(() =>
      this.core.listNamespacedPod({ namespace: this.namespace, labelSelector, limit, ...(continueToken ? { _continue: continueToken } : {}) }));
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? "", continueToken: list.metadata?._continue || undefined };
  }
}
