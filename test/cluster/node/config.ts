// The node's configuration files: containerd, kubelet, CNI and the pods' resolv.conf. Every path is
// inside the run's own dir; the launcher (launch.sh) binds that dir's var-lib, var-log and run onto
// /var/lib, /var/log and /run inside a private mount namespace for the paths that are hard-coded.
import { join } from "node:path";
import type { NodeNet } from "./net.ts";

export interface NodeLayout {
  dir: string;
  containerdConfig: string;
  containerdSocket: string;
  kubeletConfig: string;
  kubeletKubeconfig: string;
  kubeletCert: string;
  kubeletKey: string;
  cniConfDir: string;
  resolvConf: string;
  volumePluginDir: string;
  sysctlDir: string;
  registryConfigDir: string;
  logs: string;
  launchEnv: string;
}

export function nodeLayout(dir: string): NodeLayout {
  return {
    dir,
    containerdConfig: join(dir, "containerd.toml"),
    containerdSocket: join(dir, "run", "containerd", "containerd.sock"),
    kubeletConfig: join(dir, "kubelet.yaml"),
    kubeletKubeconfig: join(dir, "kubelet.kubeconfig"),
    kubeletCert: join(dir, "pki", "kubelet.crt"),
    kubeletKey: join(dir, "pki", "kubelet.key"),
    cniConfDir: join(dir, "cni", "net.d"),
    resolvConf: join(dir, "resolv.conf"),
    volumePluginDir: join(dir, "volume-plugins"),
    sysctlDir: join(dir, "sysctl"),
    registryConfigDir: join(dir, "registries"),
    logs: join(dir, "logs"),
    launchEnv: join(dir, "launch.env"),
  };
}

const q = (s: string): string => JSON.stringify(s); // TOML basic strings share JSON's escapes here

export function containerdToml(l: NodeLayout, binDir: string, sandboxImage: string): string {
  const cri = "plugins.'io.containerd.cri.v1.runtime'";
  return `version = 3
root = ${q(join(l.dir, "containerd", "root"))}
state = ${q(join(l.dir, "run", "containerd", "state"))}
# Plugins a test node never uses; fewer plugins, faster start.
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing", "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs"]

[grpc]
  address = ${q(l.containerdSocket)}
[ttrpc]
  address = ${q(join(l.dir, "run", "containerd", "containerd.sock.ttrpc"))}
[debug]
  address = ""
[metrics]
  address = ""

[${cri}]
  # This VM has no CAP_SYS_RESOURCE: nothing may lower oom_score_adj below the daemon's own.
  restrict_oom_score_adj = true
  enable_selinux = false
  netns_mounts_under_state_dir = true
  [${cri}.containerd]
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [${cri}.containerd.runtimes.runc.options]
        BinaryName = ${q(join(binDir, "runc"))}
        SystemdCgroup = false
  [${cri}.cni]
    bin_dirs = [${q(binDir)}]
    conf_dir = ${q(l.cniConfDir)}
    max_conf_num = 1

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = ${q(l.registryConfigDir)}
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = ${q(sandboxImage)}

[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
}

/**
 * Every registry (the _default host config) is a closed loopback port: a pull of an image that was
 * not imported fails at once with "connection refused", and no test sends a lookup or a request to
 * a registry outside this machine.
 */
export const DEFAULT_REGISTRY_HOSTS_TOML = `server = "http://127.0.0.1:9"

[host."http://127.0.0.1:9"]
  capabilities = ["pull", "resolve"]
`;

/** bridge + host-local + portmap; no gateway, no masquerade: pods reach only the bridge's subnet. */
export function cniConflist(net: NodeNet): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: "agentify-test",
    plugins: [
      {
        type: "bridge",
        bridge: net.bridge,
        isGateway: false,
        isDefaultGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: { type: "host-local", ranges: [[{ subnet: net.subnet, rangeStart: net.rangeStart, rangeEnd: net.rangeEnd }]] },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  }, null, 2);
}

/**
 * The node is tainted, so that only Pods that ask for it run there: suites that create hundreds of
 * Jobs only to inspect them keep their Pods Pending (unschedulable), as on a cluster without nodes,
 * and tests that run Pods add NODE_TOLERATION (agentified Jobs get it through pod-spec-patch).
 */
export const NODE_TAINT = { key: "agentify.test/node", value: "real", effect: "NoSchedule" } as const;
export const NODE_TOLERATION = { key: NODE_TAINT.key, operator: "Equal", value: NODE_TAINT.value, effect: NODE_TAINT.effect } as const;

export interface KubeletSettings {
  net: NodeNet;
  cgroupRoot: string;
  caFile: string;
  healthzPort: number;
  port: number;
}

export function kubeletYaml(l: NodeLayout, s: KubeletSettings): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This VM runs cgroup v1, which kubelet 1.35+ refuses unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: ${s.cgroupRoot}
cgroupsPerQOS: true
containerRuntimeEndpoint: unix://${l.containerdSocket}
address: ${s.net.hostIp}
port: ${String(s.port)}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: ${String(s.healthzPort)}
tlsCertFile: ${l.kubeletCert}
tlsPrivateKeyFile: ${l.kubeletKey}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: ${s.caFile}}
# Only the apiserver (client certificate from the cluster CA) reaches this port.
authorization: {mode: AlwaysAllow}
# No CAP_SYS_RESOURCE: the kubelet may not lower its own oom_score_adj.
oomScoreAdj: 0
makeIPTablesUtilChains: false
failSwapOn: false
protectKernelDefaults: false
resolvConf: ${l.resolvConf}
clusterDomain: cluster.local
volumePluginDir: ${l.volumePluginDir}
serializeImagePulls: false
# A shared development disk: evict on nearly full only, never because the host is busy.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
nodeStatusUpdateFrequency: 4s
syncFrequency: 10s
fileCheckFrequency: 20s
shutdownGracePeriod: 0s
registerWithTaints:
- {key: ${NODE_TAINT.key}, value: ${NODE_TAINT.value}, effect: ${NODE_TAINT.effect}}
`;
}

/** Pods resolve nothing: a nameserver on the pod's own loopback refuses at once instead of hanging. */
export const RESOLV_CONF = "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n";

/**
 * The kubelet sets these host-wide sysctls at start. Inside the node's mount namespace, files holding
 * the value it wants are bound over them, so it finds nothing to change and the host keeps its own.
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, string>> = {
  "vm/overcommit_memory": "1",
  "vm/panic_on_oom": "0",
  "kernel/panic": "10",
  "kernel/panic_on_oops": "1",
  "kernel/keys/root_maxkeys": "1000000",
  "kernel/keys/root_maxbytes": "25000000",
};
