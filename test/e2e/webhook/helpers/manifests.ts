// Installs the project's manifests with `kubectl apply -k` through a kustomize overlay generated
// in a temp dir. The overlay changes only the MutatingWebhookConfiguration `agentify`:
//   - clientConfig: `url` of the in-process webhook instead of `service` (a url-based
//     clientConfig must not have `service`), and the e2e CA as caBundle;
//   - namespaceSelector: one more expression, WEBHOOK_LABEL In [manifests], so the webhook
//     only sees this suite's namespaces (the dispatcher e2e shares the control plane).
import { writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import type { JsonObject } from "../../../../webhook/core/index.ts";
import { createNamespace } from "../../support/namespaces.ts";
import { MANIFESTS_DIR, MANIFESTS_NS_LABELS, WEBHOOK_LABEL, tempDir, webhookEnv } from "./env.ts";
import type { WebhookEnv } from "./env.ts";
import { waitUntilAgentified } from "./registration.ts";

export interface Installed {
  env: WebhookEnv;
  overlayDir: string;
  /** stdout of `kubectl apply -k`. */
  applyOutput: string;
  /** The objects the overlay declares (`kubectl kustomize`), in order. */
  declared: JsonObject[];
  /** webhooks[0] of the declared `agentify` MutatingWebhookConfiguration. */
  webhookEntry: JsonObject;
  /** A namespace the installed webhook serves, for probes. */
  probeNamespace: string;
}

export function overlayKustomization(manifestsRelative: string, webhookUrl: string, caBundle: string): string {
  return `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ${manifestsRelative}
patches:
  - target:
      group: admissionregistration.k8s.io
      version: v1
      kind: MutatingWebhookConfiguration
      name: agentify
    patch: |-
      - op: remove
        path: /webhooks/0/clientConfig/service
      - op: add
        path: /webhooks/0/clientConfig/url
        value: ${webhookUrl}
      - op: add
        path: /webhooks/0/clientConfig/caBundle
        value: ${caBundle}
      - op: add
        path: /webhooks/0/namespaceSelector/matchExpressions/-
        value: {key: ${WEBHOOK_LABEL}, operator: In, values: [manifests]}
`;
}

/** Writes the overlay into a fresh temp dir (kustomize wants a relative path to the base). */
export function writeOverlay(env: WebhookEnv): string {
  const dir = tempDir("agentify-overlay-");
  writeFileSync(join(dir, "kustomization.yaml"), overlayKustomization(relative(dir, MANIFESTS_DIR), env.webhook.mutateUrl, env.caBundle));
  return dir;
}

let installed: Promise<Installed> | undefined;

/** Once per process: apply the overlay and wait until the webhook is in effect. */
export function installManifests(): Promise<Installed> {
  installed ??= install();
  return installed;
}

async function install(): Promise<Installed> {
  const env = await webhookEnv();
  const overlayDir = writeOverlay(env);
  const built = await env.cluster.kubectl(["kustomize", overlayDir], { check: true });
  const declared = parseAllDocuments(built.stdout).map((d) => d.toJS() as JsonObject).filter((o) => o !== null);
  const mwc = declared.find((o) => o["kind"] === "MutatingWebhookConfiguration" && (o["metadata"] as JsonObject)["name"] === "agentify");
  const webhookEntry = (mwc?.["webhooks"] as JsonObject[] | undefined)?.[0];
  if (!webhookEntry) throw new Error(`the overlay declares no MutatingWebhookConfiguration agentify:\n${built.stdout}`);
  const applied = await env.cluster.kubectl(["apply", "-k", overlayDir], { timeoutMs: 120_000 });
  if (applied.code !== 0) throw new Error(`kubectl apply -k ${overlayDir} exited ${applied.code}:\n${applied.stderr}\n${applied.stdout}`);
  const probeNamespace = await createNamespace(env.api, "e2e-probe", { ...MANIFESTS_NS_LABELS });
  await waitUntilAgentified(env.api, probeNamespace);
  return { env, overlayDir, applyOutput: applied.stdout, declared, webhookEntry, probeNamespace };
}
