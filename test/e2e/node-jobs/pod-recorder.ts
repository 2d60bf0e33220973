// Records the pods of a namespace from one watch stream: the last version of each pod the kubelet
// reported, kept after the pod is deleted. The dispatcher deletes some failed pods within
// milliseconds of finishing their job, so polling could miss the statuses a test asserts.
import { Watch } from "@kubernetes/client-node";
import type { V1Pod } from "@kubernetes/client-node";
import { JOB_UUID_LABEL } from "../../../dispatcher/job/names.ts";
import { waitFor } from "../dispatcher/env.ts";
import type { JobsEnv } from "../jobs/env.ts";
import { describePod } from "./pods.ts";

/** A pod as last seen, every version seen, and whether it was deleted. Timestamps in watched objects are strings. */
export interface RecordedPod {
  pod: V1Pod;
  versions: V1Pod[];
  deleted: boolean;
}

export class PodRecorder {
  /** pod name → last version. */
  readonly #pods = new Map<string, RecordedPod>();
  #abort: AbortController | undefined;
  #stopped = false;

  static async start(e: JobsEnv): Promise<PodRecorder> {
    const recorder = new PodRecorder();
    const list = await e.env.kube.core.listNamespacedPod({ namespace: e.env.namespace, labelSelector: JOB_UUID_LABEL });
    for (const pod of list.items) recorder.#seen(JSON.parse(JSON.stringify(pod)) as V1Pod, false);
    void recorder.#watch(e, list.metadata?.resourceVersion ?? "");
    return recorder;
  }

  #seen(pod: V1Pod, deleted: boolean): void {
    const name = pod.metadata?.name ?? "";
    const versions = this.#pods.get(name)?.versions ?? [];
    versions.push(pod);
    this.#pods.set(name, { pod, versions, deleted });
  }

  async #watch(e: JobsEnv, resourceVersion: string): Promise<void> {
    const watch = new Watch(e.env.kube.kubeConfig);
    let rv = resourceVersion;
    while (!this.#stopped) {
      await new Promise<void>((resolve) => {
        void watch.watch(`/api/v1/namespaces/${e.env.namespace}/pods`, { resourceVersion: rv, labelSelector: JOB_UUID_LABEL, allowWatchBookmarks: true },
          (type: string, pod: V1Pod) => {
            rv = pod.metadata?.resourceVersion ?? rv;
            if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") this.#seen(pod, type === "DELETED");
          },
          () => resolve()).then((c) => (this.#abort = c), () => resolve());
      });
      if (!this.#stopped) await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Every pod of the job, oldest first. */
  podsOf(uuid: string): RecordedPod[] {
    return [...this.#pods.values()]
      .filter((p) => p.pod.metadata?.labels?.[JOB_UUID_LABEL] === uuid)
      .sort((a, b) => String(a.pod.metadata?.creationTimestamp).localeCompare(String(b.pod.metadata?.creationTimestamp)));
  }

  all(): RecordedPod[] {
    return [...this.#pods.values()];
  }

  /** The job's (first) pod once `ready` holds for its last recorded version. */
  async until(uuid: string, what: string, ready: (p: RecordedPod) => boolean, timeoutMs = 60_000): Promise<RecordedPod> {
    let last: RecordedPod | undefined;
    try {
      await waitFor(`the pod of ${uuid} ${what}`, () => {
        last = this.podsOf(uuid)[0];
        return last !== undefined && ready(last);
      }, timeoutMs, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${describePod(last?.pod)}${last?.deleted ? " (deleted)" : ""}`, { cause: err });
    }
    return last as RecordedPod;
  }

  stop(): void {
    this.#stopped = true;
    this.#abort?.abort();
  }
}
