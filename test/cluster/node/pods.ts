// Small helpers for tests that run plain Pods on the node.
import type { KubeApi } from "../../e2e/support/api.ts";
import { eventually } from "../../e2e/support/wait.ts";
import { NODE_TOLERATION } from "./config.ts";

export interface PodOptions {
  image: string;
  command: string[];
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
}

/** Create a one-container Pod that runs `command` once (restartPolicy Never). */
export async function runPod(api: KubeApi, ns: string, name: string, o: PodOptions): Promise<void> {
  await api.create(`/api/v1/namespaces/${ns}/pods`, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: {
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 1,
      tolerations: [NODE_TOLERATION],
      containers: [{ name: "main", image: o.image, command: o.command, imagePullPolicy: o.imagePullPolicy ?? "IfNotPresent" }],
    },
  });
}

export async function podPhase(api: KubeApi, ns: string, name: string): Promise<string | undefined> {
  const res = await api.request("GET", `/api/v1/namespaces/${ns}/pods/${name}`);
  if (res.status !== 200) return undefined;
  return (res.body["status"] as { phase?: string } | undefined)?.phase;
}

/** Resolves to the pod's phase once it is one of `phases`. */
export function waitForPod(api: KubeApi, ns: string, name: string, phases: string[], timeoutMs = 45_000): Promise<string> {
  return eventually(`pod ${ns}/${name} in ${phases.join(" or ")}`, async () => {
    const phase = await podPhase(api, ns, name);
    return phase !== undefined && phases.includes(phase) ? phase : undefined;
  }, timeoutMs, 200);
}
