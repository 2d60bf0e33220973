// The install as a user does it, on the test cluster's real node: the project's image (make image)
// imported into the node's containerd, certificates from `agentify certs generate`, then
// `kubectl apply -k` of the overlay (overlay.ts) and the two Deployments rolled out. The Buildkite
// stand-in and the apiserver relay listen on the node's host address, the only host address
// pods reach. uninstall() removes every object, so suites after this one find the names free.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { NODE_TOLERATION, sharedCluster } from "../../cluster/harness.ts";
import type { Cluster, NodeState } from "../../cluster/harness.ts";
import { importImage, tagImage } from "../../cluster/node/node.ts";
import { freePorts } from "../../cluster/net.ts";
import { startStandin } from "../../standin/server.ts";
import type { StandinHandle } from "../../standin/server.ts";
import { KubeApi } from "../support/api.ts";
import { buildProjectImage } from "./image.ts";
import type { ProjectImage } from "./image.ts";
import { installConfig, writeOverlay } from "./overlay.ts";
import { startRelay } from "./relay.ts";
import type { Relay } from "./relay.ts";

const run = promisify(execFile);
const REPO = join(import.meta.dirname, "..", "..", "..");
export const QUEUE = "k8s";
export const WEBHOOK_NS = "agentify-system";
export const DISPATCHER_NS = "buildkite";
export const LOCAL_IMAGE_REPO = "localhost/agentify/agentify";

export interface Installation {
  cluster: Cluster;
  node: NodeState;
  api: KubeApi;
  image: ProjectImage;
  /** The name the pods run it by. */
  localImage: string;
  standin: StandinHandle;
  relay: Relay;
  overlayDir: string;
  /** `agentify certs` output: ca.crt, ca.key, tls.crt, tls.key. */
  certDir: string;
  /** From the start of `kubectl apply -k` until both Deployments were rolled out. */
  applyToReadyMs: number;
  applyOutput: string;
  kubectl(args: string[], input?: string, timeoutMs?: number): Promise<string>;
  uninstall(): Promise<void>;
}

/** `node bin/agentify.ts …`, as the README runs it. */
export async function agentifyCli(args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(REPO, "bin", "agentify.ts"), ...args], { cwd: REPO, timeout: 60_000 });
  return stdout;
}

export async function install(): Promise<Installation> {
  const cluster = await sharedCluster();
  const node = cluster.node;
  if (!node) throw new Error("the install tests need the test cluster's node");
  const image = await buildProjectImage();
  await importImage(node, image.tar, image.name);
  // A name only this build has: the pods can run no other image, and IfNotPresent never pulls it.
  const localImage = `${LOCAL_IMAGE_REPO}:${image.digest.slice("sha256:".length, "sha256:".length + 16)}`;
  await tagImage(node, image.name, localImage);

  const [standinPort] = await freePorts(1);
  const standin = await startStandin({ host: node.hostIp, port: standinPort ?? 0, rateLimits: false, queues: [QUEUE], agent: { jobStatusIntervalSeconds: 1 } });
  const apiserver = new URL(cluster.server);
  const relay = await startRelay(node.hostIp, { host: apiserver.hostname, port: Number(apiserver.port) });
  const overlayDir = mkdtempSync(join(tmpdir(), "agentify-install-"));
  const certDir = join(overlayDir, "certs");
  await agentifyCli(["certs", "generate", "--service", "agentify-webhook", "--namespace", WEBHOOK_NS, "--out-dir", certDir]);
  const caBundle = (await agentifyCli(["certs", "ca-bundle", "--out-dir", certDir])).trim();

  writeOverlay(overlayDir, {
    image: localImage, caBundle, agentToken: standin.token,
    tls: { cert: readFileSync(join(certDir, "tls.crt"), "utf8"), key: readFileSync(join(certDir, "tls.key"), "utf8") },
    apiserver: { ip: node.hostIp, port: relay.port },
    config: installConfig({
      queue: QUEUE,
      tags: [`queue=${QUEUE}`],
      image: node.images.agent.name,
      "default-image-pull-policy": "IfNotPresent",
      "default-image-check-pull-policy": "IfNotPresent",
      "pod-spec-patch": { tolerations: [NODE_TOLERATION], terminationGracePeriodSeconds: 5 },
      "agent-config": { endpoint: standin.url },
      "poll-interval": "1s",
    }),
  });

  const kubectl = async (args: string[], input?: string, timeoutMs = 120_000): Promise<string> => {
    const res = await cluster.kubectl(args, { timeoutMs, ...(input === undefined ? {} : { input }) });
    if (res.code !== 0) throw new Error(`kubectl ${args.join(" ")} exited ${res.code}:\n${res.stderr}\n${res.stdout}`);
    return res.stdout;
  };
  const api = new KubeApi(cluster);
  let uninstalled = false;
  const uninstall = async (): Promise<void> => {
    if (uninstalled) return;
    uninstalled = true;
    // The webhook configuration first: with failurePolicy Fail and its pods going, it would refuse
    // every labelled Job created anywhere until it is gone.
    await cluster.kubectl(["delete", "mutatingwebhookconfiguration", "agentify", "--ignore-not-found"]);
    await cluster.kubectl(["delete", "-k", overlayDir, "--ignore-not-found", "--wait=true", "--timeout=180s"], { timeoutMs: 200_000 });
    await relay.stop();
    await standin.stop();
    api.close();
    rmSync(overlayDir, { recursive: true, force: true });
  };

  try {
    const t0 = Date.now();
    const applyOutput = await kubectl(["apply", "-k", overlayDir]);
    await kubectl(["-n", WEBHOOK_NS, "rollout", "status", "deployment/agentify-webhook", "--timeout=240s"], undefined, 250_000);
    await kubectl(["-n", DISPATCHER_NS, "rollout", "status", "deployment/agentify-dispatcher", "--timeout=240s"], undefined, 250_000);
    const applyToReadyMs = Date.now() - t0;
    return { cluster, node, api, image, localImage, standin, relay, overlayDir, certDir, applyToReadyMs, applyOutput, kubectl, uninstall };
  } catch (err) {
    const state = await cluster.kubectl(["get", "deployments,replicasets,pods,events", "-A", "-o", "wide"]).then((r) => r.stdout, () => "");
    await uninstall().catch(() => undefined);
    if (err instanceof Error) err.message += `\n--- pods and events ---\n${state}`;
    throw err;
  }
}
