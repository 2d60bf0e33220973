// A real Kubernetes cluster for tests: etcd + kube-apiserver + kube-controller-manager on loopback,
// then kube-scheduler and one real node (containerd, runc, CNI, kubelet: node/), all built from Go
// modules by build.sh and build-node.sh (instant when cached). With `node: false` there is no
// scheduler and no node, and Pods stay Pending.
//
//   const c = await startCluster();      // or sharedCluster() in mocha suites (one per process)
//   await c.kubectl(["get", "ns"]);      // admin (system:masters) via c.kubeconfigPath
//   await c.stop();
//
// Every component runs in its own process group; stop(), process exit, SIGINT/SIGTERM/SIGHUP all
// kill those groups, and a later start reaps clusters whose owning process died (e.g. SIGKILL).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createCa, issueCert, rsaKeyPair } from "./pki.ts";
import { killGroup, logTail, startProc, type Proc } from "./proc.ts";
import { DIR_PREFIX, installHooks, live, reapStale, uninstallHooks, type Live } from "./cleanup.ts";
import { childEnv, kubeconfigYaml, ownsPid, paths, readState, removeDir, writeState } from "./files.ts";
import { freePorts, httpGet, type Tls } from "./net.ts";
import type { Cluster, ClusterState, KubectlOptions, KubectlResult, StartClusterOptions } from "./types.ts";
import { buildImages, buildNodeBinaries } from "./node/images.ts";
import { runBuildScript } from "./build-script.ts";
import { startSchedulerAndNode } from "./node/start.ts";
import { teardownNode } from "./node/teardown.ts";

export type { Cluster, ClusterProcess, ClusterState, KubectlOptions, KubectlResult, NodeState, StartClusterOptions } from "./types.ts";
export { readState } from "./files.ts";
export { NODE_TAINT, NODE_TOLERATION } from "./node/config.ts";

const HERE = import.meta.dirname;

let built: Promise<string> | undefined;

/** Runs build.sh once per process (its output goes to our stderr); resolves to the bin dir. */
export function buildBinaries(): Promise<string> {
  built ??= runBuildScript(join(HERE, "build.sh"));
  return built;
}

/** The Kubernetes version pinned in go.mod, e.g. "v1.36.3". */
export function k8sVersion(): string {
  const m = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(readFileSync(join(HERE, "go.mod"), "utf8"));
  if (!m?.[1]) throw new Error("k8s.io/kubernetes not found in test/cluster/go.mod");
  return m[1];
}


function runKubectl(binDir: string, kubeconfig: string, dir: string, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    // KUBECACHEDIR keeps kubectl's discovery cache with the cluster instead of in ~/.kube.
    const env = { ...childEnv(), KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, "kube-cache") };
    const child = spawn(join(binDir, "kubectl"), args, { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timeoutMs = opts.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      stderr += `\n(kubectl killed after ${timeoutMs} ms)`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const res = { stdout, stderr, code: code ?? -1 };
      if (opts.check && res.code !== 0) reject(new Error(`kubectl ${args.join(" ")} exited ${res.code}: ${stderr.trim()}`));
      else resolve(res);
    });
    child.stdin.on("error", () => {}); // kubectl may exit before reading stdin
    child.stdin.end(opts.input ?? "");
  });
}

function makeCluster(state: ClusterState, stop: () => Promise<void>): Cluster {
  const p = paths(state.dir);
  const tls: Tls = { ca: readFileSync(p.ca, "utf8"), cert: readFileSync(p.adminCert, "utf8"), key: readFileSync(p.adminKey, "utf8") };
  return {
    server: state.server,
    kubeconfigPath: state.kubeconfigPath,
    binDir: state.binDir,
    dir: state.dir,
    caCertPath: p.ca,
    caKeyPath: p.caKey,
    adminCertPath: p.adminCert,
    adminKeyPath: p.adminKey,
    processes: state.processes,
    startupMs: state.startupMs,
    ...(state.node ? { node: state.node } : {}),
    kubectl: (args, opts) => runKubectl(state.binDir, state.kubeconfigPath, state.dir, args, opts),
    get: (path) => httpGet(state.server + path, tls),
    stop,
  };
}

/** Attach to a running cluster from its state file (e.g. one started by `cli.ts up`); stop() is a no-op. */
export function attachCluster(stateFile: string): Cluster {
  const state = readState(stateFile);
  if (!state) throw new Error(`no cluster state at ${stateFile}`);
  const dead = state.processes.filter((p) => !ownsPid(state, p));
  if (dead.length > 0) throw new Error(`cluster at ${state.dir} is not running (${dead.map((d) => d.name).join(", ")} gone)`);
  return makeCluster(state, async () => {});
}

/** Stop a cluster recorded in a state file (any process may do this); removes its dir. */
export async function stopClusterFromState(stateFile: string): Promise<boolean> {
  const state = readState(stateFile);
  if (!state) return false;
  // Reverse start order: controller manager, apiserver, etcd.
  for (const p of [...state.processes].reverse()) if (ownsPid(state, p)) await killGroup(p.pid);
  if (state.node) teardownNode(state.node);
  removeDir(state.dir);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Start

/**
 * Start etcd, kube-apiserver and kube-controller-manager, then (unless `node: false`) kube-scheduler
 * and the node; resolves once the default SA exists and the node is Ready.
 */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const withNode = opts.node ?? true;
  const binDir = opts.binDir ?? (await buildBinaries());
  // Sequential on purpose: each build may be a cold compile, and two at once would fight for the cores.
  const nodeBin = withNode ? await buildNodeBinaries() : "";
  const images = withNode ? await buildImages() : undefined;
  const t0 = Date.now();
  const deadline = t0 + (opts.timeoutMs ?? 120_000);
  const persist = opts.persist ?? false;
  const keepDir = opts.keepDir ?? process.env["AGENTIFY_KEEP_CLUSTER_DIR"] === "1";
  if (!persist) reapStale();

  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), DIR_PREFIX));
  const p = paths(dir);
  for (const d of [dir, p.pki, p.logs, p.etcdData]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const [etcdPort, etcdPeerPort, apiPort, kcmPort] = await freePorts(4);
  const server = `https://127.0.0.1:${String(apiPort)}`;
  const state: ClusterState = { ownerPid: process.pid, persist, dir, server, binDir, kubeconfigPath: p.kubeconfig, processes: [], startupMs: 0 };
  writeState(state);

  // PKI. The apiserver cert carries every name a client might dial, incl. the Service IP 10.0.0.1.
  const ca = createCa();
  const api = issueCert(ca, {
    commonName: "kube-apiserver",
    usage: "server",
    hosts: ["127.0.0.1", "localhost", "10.0.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
  });
  const admin = issueCert(ca, { commonName: "admin", organization: "system:masters", usage: "client" });
  // For logs, exec and port-forward: the apiserver's client certificate towards kubelets.
  const kubeletClient = issueCert(ca, { commonName: "kube-apiserver-kubelet-client", organization: "system:masters", usage: "client" });
  const sa = rsaKeyPair();
  const files: [string, string][] = [
    [p.ca, ca.certPem], [p.caKey, ca.keyPem], [p.apiCert, api.certPem], [p.apiKey, api.keyPem],
    [p.adminCert, admin.certPem], [p.adminKey, admin.keyPem], [p.saKey, sa.privatePem], [p.saPub, sa.publicPem],
    [p.kubeletClientCert, kubeletClient.certPem], [p.kubeletClientKey, kubeletClient.keyPem],
    [p.kubeconfig, kubeconfigYaml(server, ca.certPem, admin.certPem, admin.keyPem)],
  ];
  for (const [file, text] of files) writeFileSync(file, text, { mode: 0o600 });
  const tls: Tls = { ca: ca.certPem, cert: admin.certPem, key: admin.keyPem };

  const procs: Proc[] = [];
  const liveEntry: Live = { procs, dir, keepDir };
  if (!persist) {
    live.add(liveEntry);
    installHooks();
  }
  const env = childEnv();
  const start = (name: string, args: string[], bin = join(binDir, name)): Proc => {
    const proc = startProc(name, bin, args, join(p.logs, `${name}.log`), env);
    if (persist) proc.child.unref();
    procs.push(proc);
    state.processes.push({ name, pid: proc.pid, logPath: proc.logPath });
    writeState(state);
    return proc;
  };
  // Poll `check` until true; fail fast with the log tail if any component died or time ran out.
  const waitFor = async (proc: Proc, what: string, check: () => Promise<boolean>): Promise<void> => {
    for (;;) {
      const dead = procs.find((q) => q.exit !== undefined);
      if (dead) {
        const how = dead.exit?.signal ?? `code ${String(dead.exit?.code)}`;
        throw startupError(dead, `exited (${how}) while waiting for ${what}`);
      }
      if (await check().catch(() => false)) return;
      if (Date.now() > deadline) throw startupError(proc, `not ready after ${Date.now() - t0} ms: ${what}`);
      await sleep(200);
    }
  };

  try {
    const etcdUrl = `http://127.0.0.1:${String(etcdPort)}`;
    const peerUrl = `http://127.0.0.1:${String(etcdPeerPort)}`;
    // --unsafe-no-fsync: test data is throwaway and fsync dominates etcd latency on shared disks.
    const etcd = start("etcd", [
      "--name=test", `--data-dir=${p.etcdData}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=test=${peerUrl}`,
      "--unsafe-no-fsync=true", "--log-level=warn",
    ]);
    await waitFor(etcd, `${etcdUrl}/readyz`, async () => (await httpGet(`${etcdUrl}/readyz`)).status === 200);

    const apiserver = start("kube-apiserver", [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1", `--secure-port=${String(apiPort)}`,
      // A loopback advertise address (no default route needed) is only accepted with the endpoint
      // reconciler off; the `kubernetes` Service then has no endpoints, which nothing here needs.
      "--advertise-address=127.0.0.1", "--endpoint-reconciler-type=none",
      `--cert-dir=${join(dir, "apiserver")}`, // default /var/run/kubernetes; unused with the files below
      `--tls-cert-file=${p.apiCert}`, `--tls-private-key-file=${p.apiKey}`,
      `--client-ca-file=${p.ca}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${p.saPub}`, `--service-account-signing-key-file=${p.saKey}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      // Webhooks behind a Service are dialled at an endpoint (a pod IP on the node's bridge, which
      // the host reaches) instead of the ClusterIP: there is no kube-proxy and no NAT on this host.
      "--enable-aggregator-routing=true",
      // Node: kubelets may only touch their own Node and Pods (with NodeRestriction admission).
      "--authorization-mode=Node,RBAC",
      "--enable-admission-plugins=NodeRestriction",
      `--kubelet-client-certificate=${p.kubeletClientCert}`, `--kubelet-client-key=${p.kubeletClientKey}`,
      `--kubelet-certificate-authority=${p.ca}`, "--kubelet-preferred-address-types=InternalIP",
      "--allow-privileged=true",
      // Admission: the defaults already include MutatingAdmissionWebhook, ValidatingAdmissionWebhook,
      // PodSecurity, ServiceAccount, ... No egress selector: webhook URLs on 127.0.0.1 are dialled directly.
      ...(opts.apiserverArgs ?? []),
    ]);
    // /readyz as admin: with RBAC, anonymous requests get 403 until the bootstrap roles exist.
    await waitFor(apiserver, `${server}/readyz`, async () => (await httpGet(`${server}/readyz`, tls)).status === 200);

    const kcm = start("kube-controller-manager", [
      `--kubeconfig=${p.kubeconfig}`,
      // job: Jobs -> Pods; serviceaccount: `default` SA per namespace (ServiceAccount admission needs it);
      // namespace: deleting namespaces finishes; garbage-collector: Pods go with their Job;
      // ttl-after-finished: honours ttlSecondsAfterFinished; root-ca publisher: kube-root-ca.crt ConfigMaps;
      // node-lifecycle: Ready/NotReady taints; pod-garbage-collector: Pods of a deleted node;
      // deployment, replicaset, disruption: the install's Deployments and PodDisruptionBudget;
      // endpointslice: a Service's ready pods, where the apiserver dials webhooks behind Services.
      "--controllers=job-controller,serviceaccount-controller,namespace-controller,garbage-collector-controller," +
        "ttl-after-finished-controller,root-ca-certificate-publisher-controller,node-lifecycle-controller," +
        "pod-garbage-collector-controller,deployment-controller,replicaset-controller,disruption-controller," +
        "endpointslice-controller",
      `--root-ca-file=${p.ca}`,
      "--leader-elect=false",
      "--use-service-account-credentials=false", // controllers act as admin: no per-controller tokens
      "--bind-address=127.0.0.1", `--secure-port=${String(kcmPort)}`,
      `--cert-dir=${join(dir, "kcm")}`,
      // The default 20 requests/s makes namespaces with hundreds of Jobs slow to clean up.
      "--kube-api-qps=200", "--kube-api-burst=400",
      ...(opts.controllerManagerArgs ?? []),
    ]);
    await waitFor(kcm, "the default ServiceAccount in namespace default", async () =>
      (await httpGet(`${server}/api/v1/namespaces/default/serviceaccounts/default`, tls)).status === 200);
    if (images) {
      await startSchedulerAndNode({
        state, ca, tls, k8sBin: binDir, nodeBin, images, deadline,
        start: (name, bin, args) => start(name, args, bin),
        save: () => writeState(state),
        track: (parts) => (liveEntry.node = parts),
        waitFor,
        deadProcess: () => {
          const dead = procs.find((q) => q.exit !== undefined);
          return dead ? startupError(dead, "exited while the node was starting").message : undefined;
        },
      });
    }
  } catch (err) {
    for (const q of procs) await killGroup(q.pid, 2000);
    if (liveEntry.node) teardownNode(liveEntry.node);
    live.delete(liveEntry);
    if (live.size === 0) uninstallHooks();
    // Keep the dir (logs!) on failure; the reaper removes it on a later start.
    if (err instanceof Error) err.message += `\n(cluster dir kept for inspection: ${dir})`;
    throw err;
  }

  state.startupMs = Date.now() - t0;
  writeState(state);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const q of [...procs].reverse()) await killGroup(q.pid);
      if (liveEntry.node) teardownNode(liveEntry.node);
      live.delete(liveEntry);
      if (live.size === 0) uninstallHooks();
      if (!keepDir) removeDir(dir);
    })();
    return stopping;
  };
  return makeCluster(state, stop);
}

function startupError(proc: Proc, why: string): Error {
  return new Error(`test cluster: ${proc.name} ${why}\n--- last lines of ${proc.logPath} ---\n${logTail(proc.logPath)}`);
}

// ---------------------------------------------------------------------------------------------
// One cluster per test process

let shared: Promise<Cluster> | undefined;

/**
 * The process-wide cluster for e2e suites: started on first call, then reused. Stopped by
 * stopSharedCluster() (see mocha-hooks.ts) or, at the latest, on process exit / signal.
 * With AGENTIFY_CLUSTER_STATE=<path to state.json> (from `cli.ts up`) it attaches to that
 * cluster instead, which makes re-running a suite fast.
 */
export function sharedCluster(opts?: StartClusterOptions): Promise<Cluster> {
  const stateFile = process.env["AGENTIFY_CLUSTER_STATE"];
  shared ??= stateFile ? Promise.resolve().then(() => attachCluster(stateFile)) : startCluster(opts);
  return shared;
}

export async function stopSharedCluster(): Promise<void> {
  const s = shared;
  shared = undefined;
  if (!s) return;
  const c = await s.catch(() => undefined);
  await c?.stop();
}
