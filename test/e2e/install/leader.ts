// The dispatcher's two replicas in the installed cluster: who holds the Lease, and what each pod's
// /readyz and /metrics answer, read through the apiserver's pod proxy (as a Prometheus in the
// cluster or `kubectl get --raw` would reach them).
import type { JsonObject } from "../../../webhook/core/index.ts";
import { DISPATCHER_NS } from "./install.ts";
import type { Installation } from "./install.ts";

export const LEASE = "agentify-dispatcher";
/** config prometheus-port in manifests/base/agentify-config.yaml. */
const METRICS_PORT = 9216;

export interface DispatcherPod {
  name: string;
  phase: string;
  ready: boolean;
  /** From the pod's creation to its Ready condition, in whole seconds (the apiserver's precision). */
  readyAfterS: number | undefined;
}

export async function dispatcherPods(i: Installation): Promise<DispatcherPod[]> {
  const list = await i.api.get(`/api/v1/namespaces/${DISPATCHER_NS}/pods?labelSelector=app.kubernetes.io/name%3Dagentify-dispatcher`);
  return (list["items"] as JsonObject[])
    .filter((p) => (p["metadata"] as JsonObject)["deletionTimestamp"] === undefined)
    .map((p) => {
      const meta = p["metadata"] as { name: string; creationTimestamp: string };
      const status = p["status"] as { phase: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[] };
      const ready = (status.conditions ?? []).find((c) => c.type === "Ready" && c.status === "True");
      return {
        name: meta.name,
        phase: status.phase,
        ready: ready !== undefined,
        readyAfterS: ready?.lastTransitionTime ? (Date.parse(ready.lastTransitionTime) - Date.parse(meta.creationTimestamp)) / 1000 : undefined,
      };
    });
}

/** The Lease's holderIdentity ("" when free or missing). */
export async function leaseHolder(i: Installation): Promise<string> {
  const res = await i.api.request("GET", `/apis/coordination.k8s.io/v1/namespaces/${DISPATCHER_NS}/leases/${LEASE}`);
  return res.status === 200 ? String((res.body["spec"] as JsonObject | undefined)?.["holderIdentity"] ?? "") : "";
}

/** GET `path` on a dispatcher pod's metrics port. */
export async function podHttp(i: Installation, pod: string, path: string): Promise<{ status: number; text: string }> {
  const res = await i.api.request("GET", `/api/v1/namespaces/${DISPATCHER_NS}/pods/${pod}:${METRICS_PORT}/proxy${path}`, { timeoutMs: 10_000 });
  return { status: res.status, text: res.text };
}

/** The value of an unlabelled series in an exposition, or undefined. */
export function sample(exposition: string, name: string): number | undefined {
  const line = exposition.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** Each pod's agentify_dispatcher_leader, by pod name. */
export async function leaderGauges(i: Installation, pods: string[]): Promise<Record<string, number | undefined>> {
  const values = await Promise.all(pods.map(async (pod) => sample((await podHttp(i, pod, "/metrics")).text, "agentify_dispatcher_leader")));
  return Object.fromEntries(pods.map((pod, k) => [pod, values[k]]));
}
