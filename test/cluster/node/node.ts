// One real node for the test cluster: containerd + runc + CNI + kubelet, started by launch.sh in a
// private mount namespace with its own bridge, pod subnet, cgroups, node name and state dir, so two
// runs on one machine do not collide and nothing of a run outlives it. The images come from
// test/images/build.sh and are imported into this node's containerd under local names.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { setTimeout as sleep } from "node:timers/promises";
import { issueCert, type CertAndKey } from "../pki.ts";
import { kubeconfigYaml } from "../files.ts";
import { freePorts } from "../net.ts";
import { containerdToml, cniConflist, DEFAULT_REGISTRY_HOSTS_TOML, kubeletYaml, KUBELET_SYSCTLS, nodeLayout, RESOLV_CONF } from "./config.ts";
import { CGROUP_PREFIX, createNodeCgroups, daemonsProcsFile } from "./cgroups.ts";
import { createBridge, pickNet } from "./net.ts";
import type { NodeImages } from "./images.ts";
import type { NodeState } from "../types.ts";

const run = promisify(execFile);
const LAUNCH = join(import.meta.dirname, "launch.sh");

export interface PrepareNodeOptions {
  clusterDir: string;
  server: string;
  ca: CertAndKey;
  k8sBin: string;
  nodeBin: string;
  images: NodeImages;
  runId: string;
}

/**
 * Everything the launcher needs, written before anything exists on the host, and the record that
 * lets clean-up (or a later run's reaper) remove the bridge, cgroups and dir.
 */
export async function prepareNode(o: PrepareNodeOptions): Promise<{ state: NodeState; command: string[] }> {
  const name = `${CGROUP_PREFIX}${o.runId}`;
  const dir = join(o.clusterDir, "node");
  const l = nodeLayout(dir);
  const net = pickNet(o.runId);
  const state: NodeState = { name, dir, nodeBin: o.nodeBin, bridge: net.bridge, bridgeMac: net.mac, hostIp: net.hostIp, subnet: net.subnet, cgroup: name, images: o.images };
  for (const d of [dir, join(dir, "pki"), l.cniConfDir, l.sysctlDir, l.logs, l.volumePluginDir, join(l.registryConfigDir, "_default")]) mkdirSync(d, { recursive: true, mode: 0o700 });

  const client = issueCert(o.ca, { commonName: `system:node:${name}`, organization: "system:nodes", usage: "client" });
  const serving = issueCert(o.ca, { commonName: name, usage: "server", hosts: [net.hostIp, name] });
  const caFile = join(dir, "pki", "ca.crt");
  const [port, healthzPort] = await freePorts(2);
  const files: [string, string][] = [
    [caFile, o.ca.certPem],
    [l.kubeletCert, serving.certPem], [l.kubeletKey, serving.keyPem],
    [l.kubeletKubeconfig, kubeconfigYaml(o.server, o.ca.certPem, client.certPem, client.keyPem)],
    [l.containerdConfig, containerdToml(l, o.nodeBin, o.images.pause.name)],
    [join(l.cniConfDir, "10-agentify.conflist"), cniConflist(net)],
    [l.kubeletConfig, kubeletYaml(l, { net, cgroupRoot: `/${name}`, caFile, port: port ?? 10250, healthzPort: healthzPort ?? 0 })],
    [l.resolvConf, RESOLV_CONF],
    [join(l.registryConfigDir, "_default", "hosts.toml"), DEFAULT_REGISTRY_HOSTS_TOML],
  ];
  for (const [file, text] of files) writeFileSync(file, text, { mode: 0o600 });
  for (const [key, value] of Object.entries(KUBELET_SYSCTLS)) writeFileSync(join(l.sysctlDir, key.replaceAll("/", ".")), `${value}\n`);
  const kubeletArgs = [
    `--config=${l.kubeletConfig}`, `--kubeconfig=${l.kubeletKubeconfig}`,
    `--node-ip=${net.hostIp}`, `--hostname-override=${name}`, "--v=1",
  ];
  const env = {
    NODE_BIN: o.nodeBin,
    K8S_BIN: o.k8sBin,
    PROCS_FILE: daemonsProcsFile(name),
    SYSCTLS: Object.keys(KUBELET_SYSCTLS).join(" "),
    KUBELET_ARGS: kubeletArgs.join(" "),
  };
  writeFileSync(l.launchEnv, Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}\n`).join(""));
  return { state, command: [LAUNCH, dir] };
}

/** Create the host-side parts recorded in state (bridge, cgroups). Call after the state is saved. */
export function createHostParts(state: NodeState): void {
  createBridge({ bridge: state.bridge, hostIp: state.hostIp, mac: state.bridgeMac });
  createNodeCgroups(state.cgroup);
}

/** Wait for containerd's socket, then import every image into its k8s.io namespace. */
export async function importImages(state: NodeState, nodeBin: string, isDead: () => string | undefined, deadline: number): Promise<void> {
  const sock = nodeLayout(state.dir).containerdSocket;
  for (;;) {
    const dead = isDead();
    if (dead) throw new Error(dead);
    if (existsSync(sock)) {
      const ok = await run(join(nodeBin, "ctr"), ["--address", sock, "version"], { timeout: 5000 }).then(() => true, () => false);
      if (ok) break;
    }
    if (Date.now() > deadline) throw new Error(`containerd did not answer on ${sock}`);
    await sleep(100);
  }
  await Promise.all(Object.values(state.images).map((img) => importImage(state, img.tar, img.name, nodeBin)));
}

/** Import one OCI image-layout tar into the node's containerd (k8s.io namespace, the kubelet's). */
export async function importImage(state: NodeState, tar: string, name = tar, nodeBin = state.nodeBin): Promise<void> {
  const sock = nodeLayout(state.dir).containerdSocket;
  try {
    await run(join(nodeBin, "ctr"), ["--address", sock, "-n", "k8s.io", "images", "import", "--local", tar], { timeout: 120_000 });
  } catch (err) {
    throw new Error(`importing ${name} from ${tar} failed: ${String(err)}`, { cause: err });
  }
}

/** Give an imported image one more name (e.g. a tag unique to its digest, for a test to run exactly it). */
export async function tagImage(state: NodeState, source: string, target: string): Promise<void> {
  const sock = nodeLayout(state.dir).containerdSocket;
  await run(join(state.nodeBin, "ctr"), ["--address", sock, "-n", "k8s.io", "images", "tag", "--force", source, target], { timeout: 30_000 });
}

/** The node's images as containerd lists them: name -> manifest digest. */
export async function listImages(state: NodeState): Promise<Map<string, string>> {
  const sock = nodeLayout(state.dir).containerdSocket;
  const { stdout } = await run(join(state.nodeBin, "ctr"), ["--address", sock, "-n", "k8s.io", "images", "ls"], { timeout: 10_000 });
  const out = new Map<string, string>();
  for (const line of stdout.split("\n").slice(1)) {
    const [ref, , digest] = line.split(/\s+/);
    if (ref && digest) out.set(ref, digest);
  }
  return out;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
