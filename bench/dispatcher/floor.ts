#!/usr/bin/env node
// The dispatcher benchmark's floor, as a process of its own: the same stacks API calls and Job
// creates the dispatcher makes for `count` jobs (register the stack, list the scheduled jobs,
// reserve them, get each one, create its bare Job through the webhook, send the "Job created"
// notifications), with the dispatcher's own typed clients and concurrency, but no informers,
// watchers, ledger or metrics. Started with the manifest's Node flags.
//   --now: one round at once into <namespace>, then exit (the start-up measure);
//   else: prints "ready", then one round per stdin line "go <namespace>" (a long-lived process
//   is warm from its second round on, as the dispatcher is), each answered "done <ms> <failed>
//   <cpu ms>" (its own CPU time for the round).
//   node bench/dispatcher/floor.ts <endpoint> <token> <kubeconfig> <namespace> <queue> <count> <concurrency> [--now]
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { StacksClient } from "../../dispatcher/api/index.ts";
import type { ScheduledJob } from "../../dispatcher/api/index.ts";
import { buildBareJob } from "../../dispatcher/job/bare-job.ts";
import { KubeClients, loadKubeConnection } from "../../dispatcher/kube/clients.ts";
import { defaultConfig } from "../../webhook/core/index.ts";

const [endpoint, token, kubeconfig, firstNamespace, queue, countText, concurrencyText] = process.argv.slice(2);
if (!endpoint || !token || !kubeconfig || !firstNamespace || !queue) throw new Error("usage: floor.ts <endpoint> <token> <kubeconfig> <namespace> <queue> <count> <concurrency> [--now]");
const count = Number(countText ?? "1000");
const concurrency = Number(concurrencyText ?? "25");
const client = new StacksClient({ token, endpoint, userAgent: "agentify-bench-floor" });
const connection = loadKubeConnection(kubeconfig);
const image = defaultConfig().image;

async function round(namespace: string): Promise<string> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const kube = new KubeClients(connection, { namespace, qps: 1000, burst: 1000 });
  const settings = { namespace, jobPrefix: "buildkite-", controllerId: namespace, image };
  const stack = await client.registerStack({ key: namespace, type: "custom", queue_key: queue!, metadata: { controller: "agentify-bench-floor" } });
  const stackKey = stack.body.key || namespace;
  const queueKey = stack.body.cluster_queue_key || queue!;
  let created = 0;
  let failed = 0;
  const notifications: { job_uuid: string; detail: string; timestamp: string }[] = [];
  while (created + failed < count) {
    const jobs: ScheduledJob[] = [];
    let after: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await client.listScheduledJobs(stackKey, { queueKey, limit: 1000, ...(after ? { after } : {}) });
      jobs.push(...(res.body.jobs ?? []));
      if (!res.body.page_info?.has_next_page || !res.body.page_info.end_cursor) break;
      after = res.body.page_info.end_cursor;
    }
    const reserved: string[] = [];
    for (let i = 0; i < jobs.length; i += 1000) {
      const res = await client.batchReserveJobs(stackKey, { job_uuids: jobs.slice(i, i + 1000).map((j) => j.id), reservation_expiry_seconds: 300 });
      reserved.push(...(res.body.reserved ?? []));
    }
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < reserved.length) {
        const uuid = reserved[next++]!;
        try {
          const { body } = await client.getJob(stackKey, uuid);
          const bare = buildBareJob({ uuid, command: body.command, env: body.env, priority: 0, agentQueryRules: [`queue=${queue}`], plugin: undefined, pluginJson: undefined }, settings);
          await kube.createJob(bare as never);
          created++;
          notifications.push({ job_uuid: uuid, detail: "Kubernetes Job created", timestamp: new Date().toISOString() });
        } catch (err) {
          failed++;
          console.error(String(err).split("\n")[0]);
        }
      }
    }));
    if (reserved.length === 0) await sleep(200);
  }
  for (let i = 0; i < notifications.length; i += 1000) await client.createNotifications(stackKey, notifications.slice(i, i + 1000));
  const cpu = process.cpuUsage(cpu0);
  await client.deregisterStack(stackKey).catch(() => undefined);
  kube.close();
  return `done ${Math.round(performance.now() - started)} ${failed} ${((cpu.user + cpu.system) / 1000).toFixed(1)}`;
}

if (process.argv.includes("--now")) {
  console.log(await round(firstNamespace));
  process.exit(0);
}
console.log("ready");
for await (const line of createInterface({ input: process.stdin })) {
  const [command, namespace] = line.split(" ");
  if (command === "go" && namespace) console.log(await round(namespace));
}
