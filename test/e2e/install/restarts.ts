// Restarts under load in the installed cluster: a webhook pod evicted while Jobs are being
// admitted (the PodDisruptionBudget refuses a second eviction, the other replica carries the
// load), and the dispatcher Deployment (two replicas, one leader) restarted while Buildkite jobs
// are in flight. No admission fails, and every Buildkite job finishes once, with exactly one
// Kubernetes Job.
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { JobRecord } from "../../standin/job-record.ts";
import { eventually } from "../support/wait.ts";
import { DISPATCHER_NS, QUEUE, WEBHOOK_NS } from "./install.ts";
import type { Installation } from "./install.ts";
import { dispatcherPods, leaderGauges, leaseHolder } from "./leader.ts";
import { startAdmissionLoad } from "./load.ts";
import type { LoadResult } from "./load.ts";
import { webhookPodIps } from "./rotation.ts";

function evict(i: Installation, pod: string): Promise<number> {
  return i.api.request("POST", `/api/v1/namespaces/${WEBHOOK_NS}/pods/${pod}/eviction`, {
    body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: pod, namespace: WEBHOOK_NS } },
  }).then((r) => r.status);
}

function enqueue(i: Installation, n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, k) => i.standin.enqueue({
    command: `sleep 2; echo "${tag} ${k} done"`,
    image: i.node.images.busybox.name,
    agents: { queue: QUEUE },
    plugins: [{ kubernetes: { checkout: { skip: true } } }],
  }));
}

async function jobsPerUuid(i: Installation): Promise<Map<string, number>> {
  const list = await i.api.get(`/apis/batch/v1/namespaces/${DISPATCHER_NS}/jobs?labelSelector=buildkite.com/job-uuid`);
  const counts = new Map<string, number>();
  for (const j of list["items"] as JsonObject[]) {
    const uuid = ((j["metadata"] as JsonObject)["labels"] as Record<string, string>)["buildkite.com/job-uuid"] ?? "";
    counts.set(uuid, (counts.get(uuid) ?? 0) + 1);
  }
  return counts;
}

/** Resolves once the Service's EndpointSlices list `ip` as not ready (or not at all). */
async function endpointUnready(i: Installation, ip: string): Promise<boolean> {
  return eventually(`endpoint ${ip} not ready`, async () => {
    const list = await i.api.get(`/apis/discovery.k8s.io/v1/namespaces/${WEBHOOK_NS}/endpointslices?labelSelector=kubernetes.io/service-name%3Dagentify-webhook`);
    const endpoints = (list["items"] as JsonObject[]).flatMap((s) => (s["endpoints"] ?? []) as { addresses: string[]; conditions?: { ready?: boolean } }[]);
    const mine = endpoints.find((e) => e.addresses.includes(ip));
    return mine === undefined || mine.conditions?.ready === false ? true : undefined;
  }, 60_000, 50);
}

/** Every job finished once with exit 0, and exactly one Kubernetes Job each. */
async function expectEachRanOnce(i: Installation, uuids: string[]): Promise<void> {
  const records: JobRecord[] = [];
  for (const uuid of uuids) records.push(await i.standin.waitForJob(uuid, (r) => r.state === "finished" || r.state === "canceled", 300_000));
  expect(records.map((r) => `${r.state} ${r.exit_status} x${r.finish_count}`)).to.deep.equal(uuids.map(() => "finished 0 x1"));
  const counts = await jobsPerUuid(i);
  expect(uuids.map((u) => counts.get(u) ?? 0)).to.deep.equal(uuids.map(() => 1));
}

export function describeRestarts(installation: () => Installation): void {
  describe("restarts under load", function () {
    this.timeout(600_000);

    it("a webhook pod evicted while Jobs are admitted: the budget allows one eviction, the other replica answers, no admission fails", async () => {
      const i = installation();
      // Four at once: the apiserver then holds several keep-alive connections to each pod.
      const load = startAdmissionLoad(i.api, DISPATCHER_NS, 4);
      const uuids = enqueue(i, 4, "before-eviction");
      let result: LoadResult;
      try {
        const [first, second] = await webhookPodIps(i);
        const evictedAt = Date.now();
        expect(await evict(i, first?.name ?? ""), `evict ${first?.name}`).to.equal(201);
        const unready = endpointUnready(i, first?.ip ?? "").then((ok) => ok && Date.now() - evictedAt);
        // The budget (minAvailable 1) allows one disruption at a time.
        expect(await evict(i, second?.name ?? ""), `evict ${second?.name} right after`).to.equal(429);
        uuids.push(...enqueue(i, 4, "during-eviction"));
        // Load runs until the evicted pod's process has exited (after its drain) and its
        // replacement is Ready: the whole shutdown is under load.
        await eventually("the evicted pod gone and two webhook replicas ready", async () => {
          const gone = (await i.api.request("GET", `/api/v1/namespaces/${WEBHOOK_NS}/pods/${first?.name ?? ""}`)).status === 404;
          const list = await i.api.get(`/api/v1/namespaces/${WEBHOOK_NS}/pods?labelSelector=app.kubernetes.io/name%3Dagentify-webhook`);
          const ready = (list["items"] as JsonObject[]).filter((p) =>
            ((p["status"] as { conditions?: { type: string; status: string }[] }).conditions ?? []).some((c) => c.type === "Ready" && c.status === "True"));
          return gone && ready.length === 2 ? true : undefined;
        }, 180_000, 500);
        console.log(`        evicted ${first?.name} (${first?.ip}) at +${evictedAt - load.startedAt} ms; its endpoint was not ready ${String(await unready)} ms later`);
      } finally {
        result = await load.stop();
      }
      console.log(`        ${result.admitted} admissions in ${result.ms} ms around the eviction, ${result.failures.length} failed`);
      // The apiserver keeps using its open keep-alive connections to the evicted pod after the
      // endpoint is gone (it resolves endpoints when it dials); a pod that closes them without
      // `Connection: close` on its last answers races the next request on them.
      expect(result.failures).to.deep.equal([]);
      await expectEachRanOnce(i, uuids);
    });

    it("the dispatcher Deployment restarted while Buildkite jobs run: none is lost or run twice, and a new pod leads", async () => {
      const i = installation();
      const old = (await dispatcherPods(i)).map((p) => p.name);
      const uuids = enqueue(i, 4, "before-restart");
      const t0 = Date.now();
      // When a new pod first holds the Lease, seen every 250 ms.
      let newLeaderAt: number | undefined;
      const watching = eventually("a new pod holding the Lease", async () => {
        const h = await leaseHolder(i);
        return h !== "" && !old.includes(h) ? (newLeaderAt = Date.now()) : undefined;
      }, 180_000, 250);
      watching.catch(() => undefined); // awaited below; not unhandled if the test fails first
      await i.kubectl(["-n", DISPATCHER_NS, "rollout", "restart", "deployment/agentify-dispatcher"]);
      uuids.push(...enqueue(i, 4, "during-restart"));
      await i.kubectl(["-n", DISPATCHER_NS, "rollout", "status", "deployment/agentify-dispatcher", "--timeout=180s"], undefined, 190_000);
      const rolledMs = Date.now() - t0;
      uuids.push(...enqueue(i, 4, "after-restart"));
      await watching;
      const pods = (await dispatcherPods(i)).map((p) => p.name);
      expect(pods.filter((p) => old.includes(p)), "old pods left").to.deep.equal([]);
      const holder = await leaseHolder(i);
      expect(pods).to.include(holder);
      expect(await leaderGauges(i, pods)).to.deep.equal(Object.fromEntries(pods.map((p) => [p, p === holder ? 1 : 0])));
      console.log(`        restart: a new pod led ${String((newLeaderAt ?? NaN) - t0)} ms after \`rollout restart\`, both new replicas Ready after ${String(rolledMs)} ms`);
      await expectEachRanOnce(i, uuids);
    });
  });
}
