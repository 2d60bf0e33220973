// The phases each Buildkite job's pod went through, as the demo saw them by polling.
import type { Cluster } from "../test/cluster/harness.ts";

interface PodList {
  items: { metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string } }[];
}

export class PodPhases {
  readonly #cluster: Cluster;
  readonly #namespace: string;
  readonly #seen = new Map<string, { pod: string; phases: string[] }>();

  constructor(cluster: Cluster, namespace: string) {
    this.#cluster = cluster;
    this.#namespace = namespace;
  }

  async poll(): Promise<void> {
    const res = await this.#cluster.kubectl(["get", "pods", "-n", this.#namespace, "-o", "json"]);
    if (res.code !== 0) return;
    for (const pod of (JSON.parse(res.stdout) as PodList).items) {
      const uuid = pod.metadata.labels?.["buildkite.com/job-uuid"];
      const phase = pod.status?.phase;
      if (!uuid || !phase) continue;
      const entry = this.#seen.get(uuid) ?? { pod: pod.metadata.name, phases: [] };
      if (entry.phases.at(-1) !== phase) entry.phases.push(phase);
      this.#seen.set(uuid, entry);
    }
  }

  podName(uuid: string): string | undefined {
    return this.#seen.get(uuid)?.pod;
  }

  of(uuid: string): string[] {
    return this.#seen.get(uuid)?.phases ?? [];
  }
}
