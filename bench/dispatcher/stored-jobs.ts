// When agentified Jobs are stored in a namespace, seen from a watch opened before the work
// starts (the bench's own connection, not the process under test's), resumed from its last
// resourceVersion whenever the apiserver ends it.
import type { KubeClients } from "../../dispatcher/kube/clients.ts";

export interface StoredJobs {
  /** performance.now() of the first agentified Job stored. */
  first: Promise<number>;
  /** performance.now() when `count` have been stored. */
  all: Promise<number>;
  stop(): void;
}

export async function watchStored(kube: KubeClients, count: number): Promise<StoredJobs> {
  let { resourceVersion } = await kube.listJobs("buildkite.com/job-uuid", 1, undefined);
  let seen = 0;
  let stopped = false;
  let controller: AbortController | undefined;
  let resolveFirst: (t: number) => void = () => undefined;
  let resolveAll: (t: number) => void = () => undefined;
  let fail: (err: Error) => void = () => undefined;
  const first = new Promise<number>((resolve) => (resolveFirst = resolve));
  const all = new Promise<number>((resolve, reject) => {
    resolveAll = resolve;
    fail = reject;
  });
  all.catch(() => undefined);
  const open = (): void => {
    controller = kube.watch.watch(`/apis/batch/v1/namespaces/${kube.namespace}/jobs`, { resourceVersion, labelSelector: "buildkite.com/job-uuid", allowWatchBookmarks: true }, (event) => {
      const metadata = (event.object as { metadata?: { resourceVersion?: string; annotations?: Record<string, string> } }).metadata;
      if (event.type === "ERROR") return fail(new Error(`watch error: ${JSON.stringify(event.object)}`));
      resourceVersion = metadata?.resourceVersion ?? resourceVersion;
      if (event.type !== "ADDED" || !metadata?.annotations?.["buildkite.com/agentified"]) return;
      const now = performance.now();
      if (++seen === 1) resolveFirst(now);
      if (seen === count) resolveAll(now);
    }, (err) => {
      if (stopped || seen >= count) return;
      if (err && err.name !== "AbortError" && !/stream cut/.test(err.message)) return fail(err);
      open();
    });
  };
  open();
  return {
    first, all,
    stop: () => {
      stopped = true;
      controller?.abort();
    },
  };
}
