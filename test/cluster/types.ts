// The harness's public shapes: options, the Cluster handle and the state file.
import type { NodeImages } from "./node/images.ts";
export interface StartClusterOptions {
  /** Use these binaries instead of running build.sh. */
  binDir?: string;
  /** Runtime dir (certs, etcd data, logs, kubeconfig). Default: a fresh temp dir. */
  dir?: string;
  /** Leave the processes running when this process exits (for `cli.ts up`); stop via the state file. */
  persist?: boolean;
  /** Keep `dir` after stop (for debugging; also AGENTIFY_KEEP_CLUSTER_DIR=1). */
  keepDir?: boolean;
  /** Deadline for the whole start, build excluded. Default 120 s (2-core CI can be slow). */
  timeoutMs?: number;
  /** Extra flags appended to the component command lines. */
  apiserverArgs?: string[];
  controllerManagerArgs?: string[];
  /** Start kube-scheduler and one real node (containerd, runc, CNI, kubelet). Default true. */
  node?: boolean;
}

export interface ClusterProcess {
  name: string;
  pid: number;
  logPath: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (e.g. a manifest for `apply -f -`). */
  input?: string;
  /** Kill kubectl after this long. Default 60 s. */
  timeoutMs?: number;
  /** Reject when kubectl exits non-zero (default: resolve with the code). */
  check?: boolean;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface Cluster {
  /** https://127.0.0.1:<port> */
  server: string;
  kubeconfigPath: string;
  binDir: string;
  dir: string;
  caCertPath: string;
  /** The CA's key: tests may issue webhook serving certs from it (issueCert in pki.ts) and use
   * the CA cert as the webhook's caBundle. */
  caKeyPath: string;
  adminCertPath: string;
  adminKeyPath: string;
  processes: ClusterProcess[];
  /** Wall time of the start (build excluded), ms. */
  startupMs: number;
  /** The node, unless started with node: false. */
  node?: NodeState;
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** GET a path on the apiserver as admin, e.g. "/version". */
  get(path: string): Promise<{ status: number; body: string }>;
  /** Kill all processes and remove dir. Idempotent. A no-op for an attached cluster. */
  stop(): Promise<void>;
}

/** What `dir/state.json` records: enough to attach to, reap or stop a cluster from another process. */
export interface ClusterState {
  ownerPid: number;
  persist: boolean;
  dir: string;
  server: string;
  binDir: string;
  kubeconfigPath: string;
  processes: ClusterProcess[];
  startupMs: number;
  /** Set when the cluster has a node: what its clean-up must remove. */
  node?: NodeState;
}

/** A node's identity and host-side parts (all of them per run). */
export interface NodeState {
  /** Node name, also its cgroup name in every hierarchy. */
  name: string;
  cgroup: string;
  dir: string;
  /** containerd, ctr, runc and the CNI plugins. */
  nodeBin: string;
  bridge: string;
  /** The bridge's fixed MAC (locally administered). */
  bridgeMac: string;
  /** The node IP: the host's address on the bridge, the only host address pods reach. */
  hostIp: string;
  subnet: string;
  images: NodeImages;
}

// ---------------------------------------------------------------------------------------------
// Build
