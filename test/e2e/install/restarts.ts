// Restarts under load in the installed cluster: a webhook pod evicted while Jobs are being
// admitted (the PodDisruptionBudget refuses a second eviction, the other replica carries the
// load), then the dispatcher Deployment restarted while Buildkite jobs are in flight. No
// admission fails, and every Buildkite job finishes once, with exactly one Kubernetes Job.
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { JobRecord } from "../../standin/job-record.ts";
import { eventually } from "../support/wait.ts";
import { DISPATCHER_NS, QUEUE, WEBHOOK_NS } from "./install.ts";
import type { Installation } from "./install.ts";
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

export function describeRestarts(installation: () => Installation): void {
  describe("restarts under load", function () {
    this.timeout(600_000);

    it("a webhook pod evicted and the dispatcher restarted: no admission fails, no Buildkite job is lost or run twice", async () => {
      const i = installation();
      const load = startAdmissionLoad(i.api, DISPATCHER_NS);
      const uuids = enqueue(i, 4, "before");
      let result: LoadResult;
      try {
        const [first, second] = await webhookPodIps(i);
        expect(await evict(i, first?.name ?? ""), `evict ${first?.name}`).to.equal(201);
        // The budget (minAvailable 1) allows one disruption at a time.
        expect(await evict(i, second?.name ?? ""), `evict ${second?.name} right after`).to.equal(429);
        uuids.push(...enqueue(i, 4, "during-eviction"));
        await eventually("the evicted pod replaced and two webhook replicas ready", async () => {
          const deploy = await i.api.get(`/apis/apps/v1/namespaces/${WEBHOOK_NS}/deployments/agentify-webhook`);
          const pods = await webhookPodIps(i);
          return (deploy["status"] as JsonObject)["readyReplicas"] === 2 && pods.length === 2 && !pods.some((p) => p.name === first?.name) ? true : undefined;
        }, 180_000, 500);

        await i.kubectl(["-n", DISPATCHER_NS, "rollout", "restart", "deployment/agentify-dispatcher"]);
        uuids.push(...enqueue(i, 4, "during-restart"));
        await i.kubectl(["-n", DISPATCHER_NS, "rollout", "status", "deployment/agentify-dispatcher", "--timeout=180s"], undefined, 190_000);
        uuids.push(...enqueue(i, 4, "after-restart"));
      } finally {
        result = await load.stop();
      }
      console.log(`        ${result.admitted} admissions in ${result.ms} ms during the eviction and restart, ${result.failures.length} failed`);
      expect(result.failures).to.deep.equal([]);

      const records: JobRecord[] = [];
      for (const uuid of uuids) records.push(await i.standin.waitForJob(uuid, (r) => r.state === "finished" || r.state === "canceled", 300_000));
      expect(records.map((r) => `${r.state} ${r.exit_status} x${r.finish_count}`)).to.deep.equal(uuids.map(() => "finished 0 x1"));
      const counts = await jobsPerUuid(i);
      expect(uuids.map((u) => counts.get(u) ?? 0)).to.deep.equal(uuids.map(() => 1));
    });
  });
}
