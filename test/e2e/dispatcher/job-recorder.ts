// Records every Job the apiserver stores in a namespace, in order, from one watch stream: what
// was created (full objects, for checking), what was deleted, and the most that existed at once
// (the true in-flight count, since these Jobs never finish on their own: there is no kubelet).
import { Watch } from "@kubernetes/client-node";
import type { V1Job } from "@kubernetes/client-node";
import type { KubeClients } from "../../../dispatcher/kube/clients.ts";

export class JobRecorder {
  /** name → the Job as first stored. */
  readonly created = new Map<string, V1Job>();
  readonly deleted = new Set<string>();
  /** Names seen ADDED more than once (would mean a Job was re-created after deletion). */
  readonly recreated: string[] = [];
  readonly live = new Set<string>();
  maxLive = 0;
  #abort: AbortController | undefined;
  #stopped = false;

  static async start(kube: KubeClients): Promise<JobRecorder> {
    const recorder = new JobRecorder();
    const list = await kube.listJobs("buildkite.com/job-uuid", 500, undefined);
    for (const job of list.items) recorder.#added(JSON.parse(JSON.stringify(job)) as V1Job);
    void recorder.#watch(kube, list.resourceVersion);
    return recorder;
  }

  #added(job: V1Job): void {
    const name = job.metadata?.name ?? "";
    if (this.created.has(name)) this.recreated.push(name);
    else this.created.set(name, job);
    this.live.add(name);
    this.maxLive = Math.max(this.maxLive, this.live.size);
  }

  async #watch(kube: KubeClients, resourceVersion: string): Promise<void> {
    const watch = new Watch(kube.kubeConfig);
    let rv = resourceVersion;
    while (!this.#stopped) {
      await new Promise<void>((resolve) => {
        void watch.watch(`/apis/batch/v1/namespaces/${kube.namespace}/jobs`, { resourceVersion: rv, labelSelector: "buildkite.com/job-uuid", allowWatchBookmarks: true },
          (type: string, object: V1Job) => {
            rv = object.metadata?.resourceVersion ?? rv;
            const name = object.metadata?.name ?? "";
            if (type === "ADDED") this.#added(object);
            else if (type === "DELETED") {
              this.deleted.add(name);
              this.live.delete(name);
            }
          },
          () => resolve()).then((c) => (this.#abort = c));
      });
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }
}
