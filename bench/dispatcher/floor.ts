#!/usr/bin/env node
// The benchmark's floor, as a child process: create already-agentified Jobs with the dispatcher's
// own Kubernetes client (KubeClients: client-node, pooled connections, the same rate limiter) at
// the same concurrency. Prints "ready", waits for a line on stdin, creates, prints "done <ms>".
//   node bench/dispatcher/floor.ts <jobs.json> <kubeconfig> <namespace> <concurrency> <qps>
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { V1Job } from "@kubernetes/client-node";
import { KubeClients, loadKubeConfig } from "../../dispatcher/kube/clients.ts";

const [jobsFile, kubeconfig, namespace, concurrencyText, qpsText] = process.argv.slice(2);
if (!jobsFile || !kubeconfig || !namespace) throw new Error("usage: floor.ts <jobs.json> <kubeconfig> <namespace> <concurrency> <qps>");
const jobs = JSON.parse(readFileSync(jobsFile, "utf8")) as V1Job[];
const qps = Number(qpsText ?? "1000");
const kube = new KubeClients(loadKubeConfig(kubeconfig), { namespace, qps, burst: qps });
const concurrency = Number(concurrencyText ?? "25");

console.log("ready");
const lines = createInterface({ input: process.stdin });
await new Promise<void>((resolve) => lines.once("line", () => resolve()));
const started = performance.now();
let next = 0;
let failed = 0;
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (next < jobs.length) {
    const job = jobs[next++] as V1Job;
    try {
      await kube.createJob(job);
    } catch (err) {
      failed++;
      console.error(String(err).split("\n")[0]);
    }
  }
}));
console.log(`done ${Math.round(performance.now() - started)} ${failed}`);
lines.close();
