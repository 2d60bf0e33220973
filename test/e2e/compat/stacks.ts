// The compat e2e setting: the shared real control plane and, per config, an agentify webhook of
// its own, registered (the manifests' webhook entry, pointed at it) for one fresh namespace.
// Jobs are built by the dispatcher's own buildBareJob, created through the real apiserver (which
// decodes and defaults them before any webhook), and read back as stored.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { buildBareJob } from "../../../dispatcher/job/bare-job.ts";
import type { BareJobInput } from "../../../dispatcher/job/bare-job.ts";
import { configFromObject } from "../../../webhook/core/config/index.ts";
import type { JsonObject } from "../../../webhook/core/index.ts";
import type { Container, Job } from "../../../webhook/core/k8s.ts";
import type { WebhookServer } from "../../../webhook/server/server.ts";
import { jobsPath } from "../support/api.ts";
import type { KubeApi } from "../support/api.ts";
import { createNamespace, deleteNamespace } from "../support/namespaces.ts";
import { EXTRA_LABEL, MANIFESTS_DIR, webhookEnv } from "../webhook/helpers/env.ts";
import { agentifyWebhookEntry, deleteMutatingWebhookConfiguration, putMutatingWebhookConfiguration, waitUntilAgentified } from "../webhook/helpers/registration.ts";

/** The manifests' agentify webhook entry, as shipped. */
function manifestWebhookEntry(): JsonObject {
  const mwc = parseYaml(readFileSync(join(MANIFESTS_DIR, "base", "webhook-configuration.yaml"), "utf8")) as { webhooks: JsonObject[] };
  const entry = mwc.webhooks[0];
  if (!entry) throw new Error("manifests/base/webhook-configuration.yaml declares no webhook");
  return entry;
}

export interface Stack {
  api: KubeApi;
  /** A namespace that this stack's webhook (its own config) serves. */
  namespace: string;
  close(): Promise<void>;
}

/** A webhook with `config` (agent-stack-k8s keys) serving a fresh namespace with `labels`. */
export async function startStack(name: string, config: Record<string, unknown>, labels: Record<string, string> = {}): Promise<Stack> {
  const env = await webhookEnv();
  const label: [string, string] = [EXTRA_LABEL, `compat-${name}`];
  const webhook: WebhookServer = await env.startAgentify(configFromObject(config, `compat ${name} config`));
  const mwcName = `agentify-compat-${name}`;
  const entry = agentifyWebhookEntry(manifestWebhookEntry(), { url: webhook.mutateUrl, caBundle: env.caBundle, namespaceLabel: label });
  await putMutatingWebhookConfiguration(env.api, mwcName, [entry]);
  const namespace = await createNamespace(env.api, `e2e-compat-${name}`, { [label[0]]: label[1], ...labels });
  await waitUntilAgentified(env.api, namespace);
  return {
    api: env.api,
    namespace,
    async close() {
      await deleteMutatingWebhookConfiguration(env.api, mwcName);
      await deleteNamespace(env.api, namespace);
      await webhook.close();
    },
  };
}

export type StepInput = Partial<BareJobInput> & Pick<BareJobInput, "uuid">;

/** The bare Job the dispatcher builds for a step (defaults: no plugin, no rules, empty env). */
export function dispatcherJob(namespace: string, step: StepInput, image = "ghcr.io/buildkite/agent:3.136.2"): JsonObject {
  const input: BareJobInput = { command: "", env: {}, priority: 0, agentQueryRules: [], plugin: undefined, pluginJson: undefined, ...step };
  const job = buildBareJob(input, { namespace, jobPrefix: "buildkite-", controllerId: "", image, terminationGracePeriodSeconds: 60 });
  return job as unknown as JsonObject;
}

/** Creates `job` in its namespace; resolves to the Job as the apiserver stored it. */
export async function createStored(api: KubeApi, job: JsonObject): Promise<Job> {
  const namespace = String((job["metadata"] as JsonObject)["namespace"]);
  return (await api.create(jobsPath(namespace), job)) as unknown as Job;
}

export function containerOf(job: Job, name: string): Container {
  const spec = job.spec.template.spec;
  const found = [...(spec.initContainers ?? []), ...spec.containers].find((c) => c.name === name);
  if (!found) throw new Error(`stored Job ${job.metadata.name ?? ""} has no container ${name}`);
  return found;
}
