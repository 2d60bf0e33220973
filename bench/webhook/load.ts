// One load run with autocannon against a running server: exact per-response latencies (not
// autocannon's 1 ms buckets), the server's CPU time per answered request and its peak RSS.
import autocannon from "autocannon";
import { cpuSeconds, percentile, rssSampler } from "../support/proc.ts";
import type { Running } from "./servers.ts";

export interface LoadResult {
  connections: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Server CPU (user + system) per answered request. */
  cpuUs: number;
  peakRssMb: number;
  failed: number;
}

/** `amount` requests, or `seconds` of load when amount is undefined. */
export async function load(server: Running, connections: number, opts: { seconds?: number; amount?: number }): Promise<LoadResult> {
  const times: number[] = [];
  const stopRss = rssSampler(server.pid);
  const cpuBefore = cpuSeconds(server.pid);
  const instance = autocannon({
    url: server.url, method: "POST", body: server.spec.body, headers: { "content-type": "application/json" }, connections,
    ...(opts.amount === undefined ? { duration: opts.seconds ?? 5 } : { amount: opts.amount }),
  });
  instance.on("response", (_client, _status, _bytes, responseTime) => times.push(responseTime));
  const result = await instance;
  const cpu = cpuSeconds(server.pid) - cpuBefore;
  const peakRssMb = stopRss();
  times.sort((a, b) => a - b);
  return {
    connections, requests: times.length, rps: times.length / result.duration, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99),
    cpuUs: (cpu / Math.max(1, times.length)) * 1e6, peakRssMb, failed: result.errors + result.timeouts + result.non2xx,
  };
}
