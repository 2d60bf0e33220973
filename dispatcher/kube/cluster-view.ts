// Our Jobs and their pods, as two compact informers selected by our labels (job-uuid exists,
// and controller-id = config id, or absent when no id is set, as agent-stack-k8s selects), plus
// an index of pods by job UUID.
import type { Logger } from "pino";
import { CONTROLLER_ID_LABEL, JOB_UUID_LABEL } from "../job/names.ts";
import type { KubeClients } from "./clients.ts";
import { jobFacts, podFacts } from "./facts.ts";
import type { JobFacts, PodFacts } from "./facts.ts";
import { CompactInformer } from "./informer.ts";

export interface ClusterViewDeps {
  kube: Pick<KubeClients, "namespace" | "watch" | "listJobs" | "listPods">;
  controllerId: string;
  logger: Logger;
  onJob(job: JobFacts, initial: boolean): void;
  onJobDeleted(job: JobFacts): void;
  onPod(pod: PodFacts): void;
}

export function ourSelector(controllerId: string): string {
  return controllerId ? `${JOB_UUID_LABEL},${CONTROLLER_ID_LABEL}=${controllerId}` : `${JOB_UUID_LABEL},!${CONTROLLER_ID_LABEL}`;
}

export class ClusterView {
  readonly #jobs: CompactInformer<JobFacts>;
  readonly #pods: CompactInformer<PodFacts>;
  readonly #podsByUuid = new Map<string, Set<string>>();

  constructor(deps: ClusterViewDeps) {
    const ns = deps.kube.namespace;
    const labelSelector = ourSelector(deps.controllerId);
    this.#jobs = new CompactInformer<JobFacts>({
      kind: "Job", path: `/apis/batch/v1/namespaces/${ns}/jobs`, labelSelector, watch: deps.kube.watch, logger: deps.logger,
      list: (selector, limit, token) => deps.kube.listJobs(selector, limit, token),
      toFacts: jobFacts,
      handlers: {
        add: (job, initial) => deps.onJob(job, initial),
        update: (job) => deps.onJob(job, false),
        delete: (job) => deps.onJobDeleted(job),
      },
    });
    this.#pods = new CompactInformer<PodFacts>({
      kind: "Pod", path: `/api/v1/namespaces/${ns}/pods`, labelSelector, watch: deps.kube.watch, logger: deps.logger,
      list: (selector, limit, token) => deps.kube.listPods(selector, limit, token),
      toFacts: podFacts,
      handlers: {
        add: (pod) => {
          this.#index(pod, true);
          deps.onPod(pod);
        },
        update: (pod) => deps.onPod(pod),
        delete: (pod) => this.#index(pod, false),
      },
    });
  }

  /** Lists Jobs and pods (retrying until it works), then keeps watching. */
  async start(signal: AbortSignal): Promise<void> {
    const stop = () => void this.stop();
    signal.addEventListener("abort", stop, { once: true });
    await Promise.all([this.#jobs.start(), this.#pods.start()]);
    signal.removeEventListener("abort", stop);
  }

  async stop(): Promise<void> {
    await Promise.all([this.#jobs.stop(), this.#pods.stop()]);
  }

  jobs(): IterableIterator<JobFacts> {
    return this.#jobs.values();
  }

  pods(): IterableIterator<PodFacts> {
    return this.#pods.values();
  }

  get jobCount(): number {
    return this.#jobs.size;
  }

  podsOf(uuid: string): PodFacts[] {
    const names = this.#podsByUuid.get(uuid);
    if (!names) return [];
    return [...names].map((name) => this.#pods.get(name)).filter((p): p is PodFacts => p !== undefined);
  }

  /** uuid → finished, for the capacity reconcile. */
  jobSnapshot(): Map<string, boolean> {
    const snapshot = new Map<string, boolean>();
    for (const job of this.#jobs.values()) snapshot.set(job.uuid, job.finished !== undefined);
    return snapshot;
  }

  #index(pod: PodFacts, present: boolean): void {
    let names = this.#podsByUuid.get(pod.uuid);
    if (present) {
      if (!names) this.#podsByUuid.set(pod.uuid, (names = new Set()));
      names.add(pod.name);
    } else if (names) {
      names.delete(pod.name);
      if (names.size === 0) this.#podsByUuid.delete(pod.uuid);
    }
  }
}
