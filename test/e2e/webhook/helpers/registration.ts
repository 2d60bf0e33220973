// MutatingWebhookConfigurations for tests, and waiting until the apiserver acts on one: it
// learns about configurations through an informer, so the next request may still miss a
// change. A server-side dry-run create of a labelled probe Job shows what is in effect
// (dry-run calls webhooks whose sideEffects is None).
import { AGENTIFIED_ANNOTATION } from "../../../../webhook/core/index.ts";
import type { JsonObject } from "../../../../webhook/core/index.ts";
import { ApiError, jobsPath } from "../../support/api.ts";
import type { ApiResponse, KubeApi } from "../../support/api.ts";
import { eventually } from "../../support/wait.ts";
import { bareJob } from "./jobs.ts";

export const MWC_PATH = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations";

/** Creates or replaces a MutatingWebhookConfiguration. */
export async function putMutatingWebhookConfiguration(api: KubeApi, name: string, webhooks: JsonObject[]): Promise<void> {
  const object: JsonObject = { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", metadata: { name }, webhooks };
  const existing = await api.request("GET", `${MWC_PATH}/${name}`);
  if (existing.status === 404) {
    await api.create(MWC_PATH, object);
    return;
  }
  const metadata = existing.body["metadata"] as JsonObject;
  object["metadata"] = { name, resourceVersion: metadata["resourceVersion"] ?? "" };
  await api.ok("PUT", `${MWC_PATH}/${name}`, { body: object });
}

export async function deleteMutatingWebhookConfiguration(api: KubeApi, name: string): Promise<void> {
  await api.remove(`${MWC_PATH}/${name}`);
}

/** A server-side dry-run create of a labelled Job in `namespace`; the raw response. */
export function dryRunProbe(api: KubeApi, namespace: string): Promise<ApiResponse> {
  return api.request("POST", `${jobsPath(namespace)}?dryRun=All`, { body: bareJob({ namespace, name: "probe" }) });
}

export function isAgentified(job: JsonObject): boolean {
  const annotations = (job["metadata"] as JsonObject | undefined)?.["annotations"] as JsonObject | undefined;
  return typeof annotations?.[AGENTIFIED_ANNOTATION] === "string";
}

/** Until a labelled Job created in `namespace` comes back agentified. */
export async function waitUntilAgentified(api: KubeApi, namespace: string): Promise<void> {
  await eventually(`labelled Jobs in ${namespace} to be agentified`, async () => {
    const res = await dryRunProbe(api, namespace);
    if (res.status !== 201) throw new ApiError("POST", jobsPath(namespace), res);
    return isAgentified(res.body) ? true : undefined;
  });
}

/** Until creating a labelled Job in `namespace` fails because calling a webhook failed. */
export async function waitUntilWebhookFails(api: KubeApi, namespace: string): Promise<ApiResponse> {
  return eventually(`labelled Jobs in ${namespace} to be refused by a failing webhook`, async () => {
    const res = await dryRunProbe(api, namespace);
    return res.status >= 400 && res.text.includes("failed calling webhook") ? res : undefined;
  });
}

/** Until a labelled Job created in `namespace` is admitted without being agentified. */
export async function waitUntilAdmittedBare(api: KubeApi, namespace: string): Promise<void> {
  await eventually(`labelled Jobs in ${namespace} to be admitted unchanged`, async () => {
    const res = await dryRunProbe(api, namespace);
    return res.status === 201 && !isAgentified(res.body) ? true : undefined;
  });
}

export interface WebhookEntryOptions {
  url: string;
  caBundle: string;
  /** Namespaces with this label and value only. */
  namespaceLabel: [string, string];
  failurePolicy?: "Fail" | "Ignore";
  reinvocationPolicy?: "Never" | "IfNeeded";
}

/**
 * The manifests' agentify webhook entry (rules, objectSelector, timeouts, ...) with a url
 * clientConfig, and narrowed to namespaces carrying `namespaceLabel`.
 */
export function agentifyWebhookEntry(fromManifests: JsonObject, opts: WebhookEntryOptions): JsonObject {
  const entry = structuredClone(fromManifests);
  entry["clientConfig"] = { url: opts.url, caBundle: opts.caBundle };
  entry["namespaceSelector"] = { matchLabels: { [opts.namespaceLabel[0]]: opts.namespaceLabel[1] } };
  if (opts.failurePolicy) entry["failurePolicy"] = opts.failurePolicy;
  if (opts.reinvocationPolicy) entry["reinvocationPolicy"] = opts.reinvocationPolicy;
  return entry;
}
