// A namespace per test: random name, optional labels, deleted without waiting.
import { randomBytes } from "node:crypto";
import type { KubeApi } from "./api.ts";
import { eventually } from "./wait.ts";

/** Creates `<prefix>-<8 hex>` with `labels`; resolves to its name. */
export async function createNamespace(api: KubeApi, prefix: string, labels: Record<string, string> = {}): Promise<string> {
  const name = `${prefix}-${randomBytes(4).toString("hex")}`;
  await api.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
  return name;
}

/**
 * The ServiceAccount admission plugin refuses Pods until the namespace's `default`
 * ServiceAccount exists; wait for it before expecting the Job controller to create Pods
 * (it would retry, but only after a back-off).
 */
export async function waitForDefaultServiceAccount(api: KubeApi, namespace: string): Promise<void> {
  await eventually(`ServiceAccount ${namespace}/default`, async () =>
    (await api.request("GET", `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status === 200 ? true : undefined);
}

/** Starts deleting the namespace (the namespace controller finishes it in the background). */
export async function deleteNamespace(api: KubeApi, name: string): Promise<void> {
  await api.remove(`/api/v1/namespaces/${name}`);
}
