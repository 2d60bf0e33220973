// The end-to-end setting for the dispatcher: the shared real control plane, a namespace of our
// own, the agentify webhook registered for that namespace (failurePolicy: Fail), and a stacks API
// stand-in. Everything listens on 127.0.0.1.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import type { V1Job } from "@kubernetes/client-node";
import { pino } from "pino";
import type { Logger } from "pino";
import { generateCa, issueServingCert, writeCertDir } from "../../../certs/index.ts";
import type { CaPair } from "../../../certs/index.ts";
import { KubeClients, loadKubeConfig } from "../../../dispatcher/kube/clients.ts";
import { startDispatcher } from "../../../dispatcher/start.ts";
import type { DispatcherHandle, StartDispatcherOptions } from "../../../dispatcher/start.ts";
import { configFromObject } from "../../../webhook/core/config/index.ts";
import type { Config } from "../../../webhook/core/index.ts";
import { startWebhook } from "../../../webhook/server/server.ts";
import type { WebhookServer } from "../../../webhook/server/server.ts";
import { sharedCluster } from "../../cluster/harness.ts";
import type { Cluster } from "../../cluster/harness.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle, StandinOptions } from "../../standin/server.ts";

export const QUEUE = "k8s";
const silent = pino({ level: process.env["AGENTIFY_E2E_LOG"] ?? "silent" });

let ca: CaPair | undefined;

export interface EnvOptions {
  /** Config keys (agent-stack-k8s names) over the e2e defaults. */
  config?: Record<string, unknown>;
  standin?: StandinOptions;
  /** The webhook's and dispatchers' logger (default: silent, or AGENTIFY_E2E_LOG's level). */
  logger?: Logger;
}

export class DispatcherEnv {
  readonly cluster: Cluster;
  readonly namespace: string;
  readonly config: Config;
  readonly configObject: Record<string, unknown>;
  readonly standin: StandinHandle;
  /** Admin access to the namespace (tests' own calls). */
  readonly kube: KubeClients;
  readonly certDir: string;
  readonly logger: Logger;
  webhook: WebhookServer | undefined;
  webhookPort = 0;
  readonly #dispatchers: DispatcherHandle[] = [];

  private constructor(init: { cluster: Cluster; namespace: string; configObject: Record<string, unknown>; standin: StandinHandle; certDir: string; logger: Logger }) {
    this.cluster = init.cluster;
    this.namespace = init.namespace;
    this.configObject = init.configObject;
    this.config = configFromObject(init.configObject, "e2e");
    this.standin = init.standin;
    this.certDir = init.certDir;
    this.logger = init.logger;
    this.kube = new KubeClients(loadKubeConfig(init.cluster.kubeconfigPath), { namespace: init.namespace, qps: 1000, burst: 1000 });
  }

  static async create(opts: EnvOptions = {}): Promise<DispatcherEnv> {
    const cluster = await sharedCluster();
    const namespace = `d-${randomBytes(4).toString("hex")}`;
    await cluster.kubectl(["create", "namespace", namespace], { check: true });
    const configObject = {
      namespace, queue: QUEUE, tags: [`queue=${QUEUE}`], "max-in-flight": 0, "job-creation-concurrency": 25,
      "k8s-client-rate-limiter-qps": 1000, "k8s-client-rate-limiter-burst": 1000, "poll-interval": "1s",
      "job-cancel-checker-poll-interval": "1s", "reservation-expiry-seconds": 30, "pod-pending-timeout": "1h",
      "image-pull-backoff-grace-period": "1s", "empty-job-grace-period": "1h", "job-creation-timeout": "2m",
      "log-level": "warn", ...opts.config,
    };
    const standin = await startStandin({ rateLimits: false, queues: [QUEUE], ...opts.standin });
    ca ??= generateCa({ commonName: "agentify-dispatcher-e2e-ca" });
    const certDir = mkdtempSync(join(tmpdir(), "agentify-dispatcher-e2e-"));
    writeCertDir(certDir, { ca, serving: issueServingCert(ca, { service: "agentify", namespace, ips: ["127.0.0.1"] }) });
    const env = new DispatcherEnv({ cluster, namespace, configObject, standin, certDir, logger: opts.logger ?? silent });
    await env.startWebhook();
    await env.#registerWebhook();
    return env;
  }

  async startWebhook(): Promise<void> {
    this.webhook = await startWebhook({
      config: this.config, certDir: this.certDir, host: "127.0.0.1", port: this.webhookPort, metricsPort: 0, logger: this.logger, certPollIntervalMs: 60_000,
    });
    this.webhookPort = this.webhook.port;
  }

  async stopWebhook(): Promise<void> {
    // A short drain: after a restart the apiserver can keep a connection open for the full default 25 s.
    await this.webhook?.shutdown({ delayMs: 0, timeoutMs: 500 });
    this.webhook = undefined;
  }

  async #registerWebhook(): Promise<void> {
    const config = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: `agentify-${this.namespace}` },
      webhooks: [{
        name: "jobs.agentify.buildkite.com",
        clientConfig: { url: `https://127.0.0.1:${this.webhookPort}/mutate/jobs`, caBundle: Buffer.from(ca?.cert ?? "").toString("base64") },
        rules: [{ operations: ["CREATE"], apiGroups: ["batch"], apiVersions: ["v1"], resources: ["jobs"], scope: "Namespaced" }],
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": this.namespace } },
        objectSelector: { matchExpressions: [{ key: "buildkite.com/job-uuid", operator: "Exists" }] },
        failurePolicy: "Fail", sideEffects: "None", admissionReviewVersions: ["v1"], timeoutSeconds: 10, reinvocationPolicy: "Never",
      }],
    };
    await this.cluster.kubectl(["apply", "-f", "-"], { input: JSON.stringify(config), check: true });
    // The apiserver picks up webhook configurations asynchronously: wait until a dry-run is mutated.
    const probe = {
      apiVersion: "batch/v1", kind: "Job",
      metadata: { name: "probe", namespace: this.namespace, labels: { "buildkite.com/job-uuid": "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b" } },
      spec: { suspend: true, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "alpine", env: [{ name: "BUILDKITE_COMMAND", value: "true" }] }] } } },
    };
    for (let i = 0; i < 100; i++) {
      const res = await this.cluster.kubectl(["create", "--dry-run=server", "-o", "json", "-f", "-"], { input: JSON.stringify(probe) });
      if (res.code === 0 && res.stdout.includes("buildkite.com/agentified")) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("webhook configuration never took effect");
  }

  dispatcherOptions(over: Partial<StartDispatcherOptions> = {}): StartDispatcherOptions {
    return {
      config: this.config, kubeconfigPath: this.cluster.kubeconfigPath, endpoint: this.standin.url,
      env: { BUILDKITE_AGENT_TOKEN: this.standin.token }, logger: this.logger, watchIntervalMs: 200, ...over,
    };
  }

  async startDispatcher(over: Partial<StartDispatcherOptions> = {}): Promise<DispatcherHandle> {
    const handle = await startDispatcher(this.dispatcherOptions(over));
    this.#dispatchers.push(handle);
    return handle;
  }

  /**
   * Deletes the Jobs and strips the job-tracking finalizers from their pods: otherwise the
   * namespace waits for the controller manager to do it, at its default 20 requests a second.
   */
  async #releasePods(): Promise<void> {
    await this.kube.batch.deleteCollectionNamespacedJob({ namespace: this.namespace, propagationPolicy: "Orphan" });
    const pods = await this.kube.listPods("buildkite.com/job-uuid", 1000, undefined);
    const names = (pods.items as { metadata?: { name?: string; finalizers?: string[] } }[])
      .filter((p) => (p.metadata?.finalizers ?? []).length > 0).map((p) => p.metadata?.name ?? "");
    let next = 0;
    await Promise.all(Array.from({ length: 20 }, async () => {
      while (next < names.length) {
        const name = names[next++] as string;
        await this.kube.core.patchNamespacedPod(
          { namespace: this.namespace, name, body: { metadata: { finalizers: null } } },
          setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
        ).catch(() => undefined);
      }
    }));
  }

  async listJobs(): Promise<V1Job[]> {
    const jobs: V1Job[] = [];
    let token: string | undefined;
    do {
      const page = await this.kube.listJobs("buildkite.com/job-uuid", 500, token);
      jobs.push(...page.items);
      token = page.continueToken;
    } while (token);
    return jobs;
  }

  /**
   * `wait`: until the namespace is gone. Suites that leave hundreds of Jobs use it, so that the
   * controller manager's clean-up does not slow the suites after them (on 2 cores it would).
   */
  async cleanup(opts: { wait?: boolean } = {}): Promise<void> {
    await Promise.all(this.#dispatchers.map((d) => d.stop()));
    await this.stopWebhook();
    await this.standin.stop();
    await this.cluster.kubectl(["delete", "mutatingwebhookconfiguration", `agentify-${this.namespace}`, "--ignore-not-found"]);
    if (opts.wait) await this.#releasePods();
    await this.cluster.kubectl(["delete", "namespace", this.namespace, `--wait=${opts.wait ? "true" : "false"}`, "--timeout=180s"], { timeoutMs: 190_000 });
    rmSync(this.certDir, { recursive: true, force: true });
  }
}

/** Polls `check` until it returns true, or fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
