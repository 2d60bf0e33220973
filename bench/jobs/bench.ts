// Buildkite jobs through the real node: 20 jobs scheduled at once on the stand-in, each running
// `cat /proc/uptime` (the kernel clock that host and pods share, 10 ms resolution) in the busybox
// image. Measured per job: scheduled → the command's first output (start latency) and scheduled →
// Buildkite `finished`. The floor, from the same run: the same command in 20 plain Pods created
// directly. The breakdown of the difference uses the stand-in's record (reserve, acquire, start) and
// the pod's init container statuses (whole seconds, as the kubelet reports them).
import { setTimeout as sleep } from "node:timers/promises";
import { readFileSync } from "node:fs";
import { NODE_TOLERATION } from "../../test/cluster/harness.ts";
import { commandStep, JobsEnv } from "../../test/e2e/jobs/env.ts";
import { stopSharedCluster } from "../../test/cluster/harness.ts";

const N = 20;
const POLL_INTERVAL_S = 1;

const uptime = (): number => Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};
const fmt = (s: number): string => `${s.toFixed(2)} s`;
/** The first "<uptime> <idle>" line a command printed. */
function firstUptime(log: string): number | undefined {
  const m = /^(\d+\.\d\d) \d+\.\d\d$/m.exec(log);
  return m ? Number(m[1]) : undefined;
}

interface Timing { start: number; finish: number }

async function floor(e: JobsEnv): Promise<Timing[]> {
  const ns = e.env.namespace;
  const created = new Map<string, number>();
  await Promise.all(Array.from({ length: N }, async (_, i) => {
    const name = `floor-${String(i)}`;
    created.set(name, uptime());
    await e.env.kube.core.createNamespacedPod({ namespace: ns, body: {
      metadata: { name },
      spec: { restartPolicy: "Never", tolerations: [NODE_TOLERATION], terminationGracePeriodSeconds: 1,
        containers: [{ name: "main", image: e.busybox, imagePullPolicy: "IfNotPresent", command: ["cat", "/proc/uptime"] }] },
    } });
  }));
  const done = new Map<string, number>();
  while (done.size < N) {
    const pods = await e.env.kube.core.listNamespacedPod({ namespace: ns });
    for (const p of pods.items) {
      const name = p.metadata?.name ?? "";
      if (created.has(name) && !done.has(name) && (p.status?.phase === "Succeeded" || p.status?.phase === "Failed")) done.set(name, uptime());
    }
    await sleep(50);
  }
  const out: Timing[] = [];
  for (const [name, t0] of created) {
    const log = await e.env.kube.core.readNamespacedPodLog({ namespace: ns, name });
    const started = firstUptime(log);
    if (started === undefined) throw new Error(`floor pod ${name} printed no uptime: ${log}`);
    out.push({ start: started - t0, finish: (done.get(name) ?? NaN) - t0 });
  }
  return out;
}

async function jobs(e: JobsEnv): Promise<{ timings: Timing[]; breakdown: Record<string, number[]> }> {
  const scheduledAt = new Map<string, number>();
  const scheduledWall = new Map<string, number>();
  for (let i = 0; i < N; i++) {
    const t = uptime();
    const id = e.schedule(commandStep("cat /proc/uptime", e.busybox, { key: `bench-${String(i)}` }));
    scheduledAt.set(id, t);
    scheduledWall.set(id, Date.now());
  }
  const finished = new Map<string, number>();
  while (finished.size < N) {
    for (const id of scheduledAt.keys()) {
      if (finished.has(id)) continue;
      const r = e.env.standin.jobRecord(id);
      if (r.state === "finished" || r.state === "canceled") finished.set(id, uptime());
    }
    await sleep(50);
  }
  const timings: Timing[] = [];
  const breakdown: Record<string, number[]> = { "dispatcher poll and reserve": [], "Job to pod running (init: copy-agent, imagechecks)": [], "agent start and acquire": [], "acquire to command output": [] };
  const pods = await e.env.kube.core.listNamespacedPod({ namespace: e.env.namespace, labelSelector: "buildkite.com/job-uuid" });
  for (const [id, t0] of scheduledAt) {
    const r = e.env.standin.jobRecord(id);
    if (r.exit_status !== "0") throw new Error(`bench job ${id} ended ${r.state} with exit ${String(r.exit_status)}`);
    const started = firstUptime(e.log(id));
    if (started === undefined) throw new Error(`bench job ${id} logged no uptime`);
    timings.push({ start: started - t0, finish: (finished.get(id) ?? NaN) - t0 });
    const wall0 = scheduledWall.get(id) ?? 0;
    const reserve = e.env.standin.calls("batchReserve").find((c) => JSON.stringify(c.body ?? "").includes(id));
    const reservedS = reserve ? (reserve.wallAt - wall0) / 1000 : NaN;
    const pod = pods.items.find((p) => p.metadata?.labels?.["buildkite.com/job-uuid"] === id);
    const agentStart = pod?.status?.containerStatuses?.find((c) => c.name === "agent")?.state;
    const agentStartedS = agentStart?.terminated?.startedAt ?? agentStart?.running?.startedAt;
    const agentS = agentStartedS ? (new Date(agentStartedS).getTime() - wall0) / 1000 : NaN;
    const acquiredS = r.acquired_at ? (Date.parse(r.acquired_at) - wall0) / 1000 : NaN;
    breakdown["dispatcher poll and reserve"]?.push(reservedS);
    breakdown["Job to pod running (init: copy-agent, imagechecks)"]?.push(agentS - reservedS);
    breakdown["agent start and acquire"]?.push(acquiredS - agentS);
    breakdown["acquire to command output"]?.push(started - t0 - acquiredS);
  }
  return { timings, breakdown };
}

const e = await JobsEnv.create({ config: { "max-in-flight": N, "poll-interval": `${String(POLL_INTERVAL_S)}s`, "image-check-container-cpu-limit": "200m" } });
try {
  await e.env.startDispatcher();
  // Warm-up: one job and one pod, so neither side pays for the first image unpack.
  await e.finished(e.schedule(commandStep("true", e.busybox)));
  const f = await floor(e);
  const j = await jobs(e);
  const p = (t: Timing[], k: keyof Timing, q: number): number => percentile(t.map((x) => x[k]), q);
  console.log(`floor (plain Pods): start p50 ${fmt(p(f, "start", 50))}, p99 ${fmt(p(f, "start", 99))}; done p50 ${fmt(p(f, "finish", 50))}, p99 ${fmt(p(f, "finish", 99))}`);
  console.log(`Buildkite jobs:     start p50 ${fmt(p(j.timings, "start", 50))}, p99 ${fmt(p(j.timings, "start", 99))}; finished p50 ${fmt(p(j.timings, "finish", 50))}, p99 ${fmt(p(j.timings, "finish", 99))}`);
  console.log("where the start time goes (p50 per job; pod times have 1 s resolution):");
  for (const [what, xs] of Object.entries(j.breakdown)) console.log(`  ${what.padEnd(52)} ${fmt(percentile(xs.filter((x) => Number.isFinite(x)), 50))}`);
  const startGoal = p(f, "start", 50) + 3;
  const p50 = p(j.timings, "start", 50);
  const p99 = p(j.timings, "start", 99);
  console.log(`${p50 <= startGoal ? "PASS" : "FAIL"} start latency p50 ${fmt(p50)} ≤ floor + 3 s (${fmt(startGoal)})`);
  console.log(`${p99 <= 5 + POLL_INTERVAL_S ? "PASS" : "FAIL"} start latency p99 ${fmt(p99)} ≤ 5 s + one poll interval (${fmt(5 + POLL_INTERVAL_S)})`);
} finally {
  await e.cleanup();
  await stopSharedCluster();
}
