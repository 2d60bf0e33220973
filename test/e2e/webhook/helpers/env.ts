// The webhook e2e setting, shared by every suite of one mocha process: the real control plane,
// an admin REST client, a CA with a serving certificate for 127.0.0.1, and the agentify webhook
// (webhook/server, the config the manifests ship) listening on a free loopback port.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { caBundle, generateCa, issueServingCert, writeCertDir } from "../../../../certs/index.ts";
import type { CaPair } from "../../../../certs/index.ts";
import { parseConfig, patchFor, tryAgentify } from "../../../../webhook/core/index.ts";
import type { Config, JsonObject } from "../../../../webhook/core/index.ts";
import type { AdmissionCore } from "../../../../webhook/server/admit.ts";
import { startWebhook } from "../../../../webhook/server/server.ts";
import type { WebhookOptions, WebhookServer } from "../../../../webhook/server/server.ts";
import { sharedCluster } from "../../../cluster/harness.ts";
import type { Cluster } from "../../../cluster/harness.ts";
import { REPO_ROOT } from "../../../golden/load.ts";
import { KubeApi } from "../../support/api.ts";

export const MANIFESTS_DIR = join(REPO_ROOT, "manifests");
export const MANIFEST_CONFIG_PATH = join(MANIFESTS_DIR, "base", "agentify-config.yaml");

/**
 * Namespace labels that select webhook configurations. The manifests' `agentify` webhook is
 * narrowed (by the test overlay) to namespaces labelled WEBHOOK_LABEL=manifests, so it never
 * touches other suites' namespaces (the dispatcher e2e registers its own webhook); a test's own
 * webhook configurations select EXTRA_LABEL=<value of its choice>.
 */
export const WEBHOOK_LABEL = "e2e.agentify/webhook";
export const EXTRA_LABEL = "e2e.agentify/extra";
export const MANIFESTS_NS_LABELS: Readonly<Record<string, string>> = { [WEBHOOK_LABEL]: "manifests" };

const logger = pino({ level: process.env["AGENTIFY_E2E_LOG"] ?? "silent" });

export interface WebhookEnv {
  cluster: Cluster;
  api: KubeApi;
  ca: CaPair;
  /** ca.crt, ca.key, tls.crt, tls.key; tls.crt is valid for 127.0.0.1. */
  certDir: string;
  /** base64 of the CA's PEM, for clientConfig.caBundle. */
  caBundle: string;
  /** The config the manifests ship (manifests/base/agentify-config.yaml). */
  config: Config;
  /** The agentify webhook the manifests' MutatingWebhookConfiguration is pointed at. */
  webhook: WebhookServer;
  /** The last Job the shared webhook was asked to agentify under `namespace/name` (dry runs too). */
  reviewed(namespace: string, name: string): JsonObject | undefined;
  /** Another agentify webhook, same certificate, own config, free port. The caller closes it. */
  startAgentify(config: Config, extra?: Partial<WebhookOptions>): Promise<WebhookServer>;
}

let shared: Promise<WebhookEnv> | undefined;

/** A fresh temp dir, removed when the process exits (it may hold the CA's key). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function webhookEnv(): Promise<WebhookEnv> {
  shared ??= create();
  return shared;
}

async function create(): Promise<WebhookEnv> {
  const cluster = await sharedCluster();
  const api = new KubeApi(cluster);
  const ca = generateCa({ commonName: "agentify-webhook-e2e-ca" });
  const certDir = tempDir("agentify-webhook-e2e-");
  writeCertDir(certDir, { ca, serving: issueServingCert(ca, { service: "agentify-webhook", namespace: "agentify-system", ips: ["127.0.0.1"] }) });
  const config = parseConfig(readFileSync(MANIFEST_CONFIG_PATH, "utf8"), MANIFEST_CONFIG_PATH);
  const startAgentify = (cfg: Config, extra: Partial<WebhookOptions> = {}): Promise<WebhookServer> =>
    startWebhook({ config: cfg, certDir, host: "127.0.0.1", port: 0, metricsPort: 0, logger, certPollIntervalMs: 600_000, ...extra });
  // The real core, recording its input: what the apiserver actually sends (decoded and defaulted).
  const seen = new Map<string, JsonObject>();
  const core: AdmissionCore = {
    tryAgentify(job, cfg) {
      const metadata = job["metadata"] as JsonObject | undefined;
      seen.set(`${String(metadata?.["namespace"])}/${String(metadata?.["name"])}`, structuredClone(job));
      return tryAgentify(job, cfg);
    },
    patchFor,
  };
  const webhook = await startAgentify(config, { core });
  const reviewed = (namespace: string, name: string): JsonObject | undefined => seen.get(`${namespace}/${name}`);
  return { cluster, api, ca, certDir, caBundle: caBundle(certDir), config, webhook, reviewed, startAgentify };
}
