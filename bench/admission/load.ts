// Creates N Jobs through the API with C requests in flight and records each one's latency
// (request start to last byte of the answer), plus the percentiles of a run.
import type { JsonObject } from "../../webhook/core/index.ts";
import { jobsPath } from "../../test/e2e/support/api.ts";
import type { KubeApi } from "../../test/e2e/support/api.ts";

export interface LoadStats {
  count: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  jobsPerSecond: number;
}

export interface LoadRun {
  latenciesMs: number[];
  wallMs: number;
  /** The created Jobs as the apiserver returned them. */
  created: JsonObject[];
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function statsOf(latenciesMs: readonly number[], wallMs: number): LoadStats {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.length ? sum / sorted.length : Number.NaN,
    maxMs: sorted.at(-1) ?? Number.NaN,
    jobsPerSecond: sorted.length / (wallMs / 1000),
  };
}

/** POSTs makeJob(first..first+count-1) into `namespace`, `concurrency` at a time; any non-201 throws. */
export async function createJobs(api: KubeApi, namespace: string, first: number, count: number, concurrency: number, makeJob: (i: number) => JsonObject): Promise<LoadRun> {
  const latencies: number[] = [];
  const created: JsonObject[] = [];
  let next = first;
  const end = first + count;
  const worker = async (): Promise<void> => {
    while (next < end) {
      const body = makeJob(next++);
      const t0 = performance.now();
      const res = await api.request("POST", jobsPath(namespace), { body });
      latencies.push(performance.now() - t0);
      if (res.status !== 201) throw new Error(`creating a Job failed: HTTP ${res.status}: ${String(res.body["message"] ?? res.text)}`);
      created.push(res.body);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latenciesMs: latencies, wallMs: performance.now() - start, created };
}
