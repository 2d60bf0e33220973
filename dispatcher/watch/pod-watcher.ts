// Watches our pods for the ways a pod never gets to run its agent: images that cannot be pulled
// or containers that cannot be created, init containers that fail, and pods pending for longer
// than pod-pending-timeout. Each is finished on Buildkite with a precise message and the pod is
// deleted (so the Job fails and its slot returns). Checked on every pod event and every second.
import type { Logger } from "pino";
import type { KubeClients } from "../kube/clients.ts";
import type { PodFacts } from "../kube/facts.ts";
import type { DispatcherMetrics } from "../metrics.ts";
import type { FailureReporter } from "./failure-reporter.ts";
import {
  failedInitContainers, failingContainers, imageFailureDetail, imageFailureNotification, initFailureDetail, pendingTimeoutDetail, pendingTooLong,
} from "./pod-checks.ts";

export interface PodWatcherDeps {
  reporter: FailureReporter;
  kube: Pick<KubeClients, "deletePod">;
  pods(): Iterable<PodFacts>;
  imagePullGraceMs: number;
  pendingTimeoutMs: number;
  metrics: DispatcherMetrics;
  logger: Logger;
  now?: () => number;
}

export class PodWatcher {
  readonly #deps: PodWatcherDeps;
  readonly #now: () => number;

  constructor(deps: PodWatcherDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
  }

  tick(): void {
    for (const pod of this.#deps.pods()) this.check(pod);
  }

  check(pod: PodFacts): void {
    const { reporter } = this.#deps;
    if (pod.phase === "Succeeded" || pod.deleting || reporter.isHandled(pod.uuid)) return;
    // With restartPolicy Never a failed init container fails the pod at once: check that first.
    const failedInit = failedInitContainers(pod);
    if (failedInit.length > 0) {
      void reporter.report(pod.uuid, { reason: "init-container-failed", detail: async () => initFailureDetail(failedInit) });
      return;
    }
    if (pod.phase === "Failed") return;
    const now = this.#now();
    const deletePod = (reason: string) => async () => {
      await this.#deps.kube.deletePod(pod.name);
      this.#deps.metrics.podsDeleted.inc({ reason });
    };

    const failing = failingContainers(pod, now, this.#deps.imagePullGraceMs);
    if (failing.length > 0) {
      void reporter.report(pod.uuid, {
        reason: "image-pull-failure",
        detail: async () => imageFailureDetail(failing),
        notification: imageFailureNotification(failing),
        after: deletePod("image_pull_failure"),
      });
      return;
    }
    if (pendingTooLong(pod, now, this.#deps.pendingTimeoutMs)) {
      void reporter.report(pod.uuid, {
        reason: "pending-timeout",
        detail: async () => pendingTimeoutDetail(pod, now),
        after: deletePod("pending_timeout"),
      });
    }
  }
}
