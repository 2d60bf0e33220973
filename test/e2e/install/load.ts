// Admission load: labelled Jobs created with server-side dry-run, back to back, so that every one
// goes through the installed webhook (dry-run calls mutating webhooks: sideEffects None) and none
// is stored or run. Each answer must be an agentified Job; anything else is a failure.
import { randomUUID } from "node:crypto";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { KubeApi } from "../support/api.ts";

export interface LoadResult {
  admitted: number;
  failures: string[];
  /** Wall time of the whole run, ms. */
  ms: number;
}

export interface AdmissionLoad {
  /** Date.now() when the load started: failures say when they happened relative to it. */
  startedAt: number;
  admitted(): number;
  stop(): Promise<LoadResult>;
}

function job(namespace: string, n: number): JsonObject {
  return {
    apiVersion: "batch/v1", kind: "Job",
    metadata: { name: `load-${n}`, namespace, labels: { "buildkite.com/job-uuid": randomUUID() } },
    spec: { suspend: true, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", env: [{ name: "BUILDKITE_COMMAND", value: "true" }] }] } } },
  };
}

export function startAdmissionLoad(api: KubeApi, namespace: string, concurrency = 2): AdmissionLoad {
  const t0 = Date.now();
  let stopped = false;
  let admitted = 0;
  let n = 0;
  const failures: string[] = [];
  const worker = async (): Promise<void> => {
    while (!stopped) {
      const i = n++;
      try {
        const res = await api.request("POST", `/apis/batch/v1/namespaces/${namespace}/jobs?dryRun=All`, { body: job(namespace, i), timeoutMs: 20_000 });
        const annotations = ((res.body["metadata"] as JsonObject | undefined)?.["annotations"] ?? {}) as Record<string, string>;
        if (res.status === 201 && annotations["buildkite.com/agentified"] !== undefined) admitted++;
        else failures.push(`load-${i} at +${Date.now() - t0} ms: HTTP ${res.status}: ${String(res.body["message"] ?? res.text.slice(0, 300))}`);
      } catch (err) {
        failures.push(`load-${i} at +${Date.now() - t0} ms: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    startedAt: t0,
    admitted: () => admitted,
    stop: async () => {
      stopped = true;
      await Promise.all(workers);
      return { admitted, failures, ms: Date.now() - t0 };
    },
  };
}
