// The cluster's directory: layout, kubeconfig, state file, and the components' environment.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cmdline, isAlive } from "./proc.ts";
import type { ClusterProcess, ClusterState } from "./types.ts";

/**
 * Environment for the components and kubectl. Proxy variables are dropped so nothing can route the
 * apiserver's calls to loopback webhooks elsewhere (Go never proxies loopback anyway; this is belt and
 * braces), ETCD_* because etcd reads every ETCD_<FLAG> variable as a flag, KUBECONFIG so that only
 * our kubeconfig is used.
 */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(https?_proxy|all_proxy|no_proxy)$/i.test(k) || k.startsWith("ETCD_") || k === "KUBECONFIG") continue;
    env[k] = v;
  }
  return env;
}

export function kubeconfigYaml(server: string, caPem: string, certPem: string, keyPem: string): string {
  const b64 = (s: string): string => Buffer.from(s).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: agentify-test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(caPem)}`,
    "users:",
    "- name: admin",
    "  user:",
    `    client-certificate-data: ${b64(certPem)}`,
    `    client-key-data: ${b64(keyPem)}`,
    "contexts:",
    "- name: agentify-test",
    "  context:",
    "    cluster: agentify-test",
    "    user: admin",
    "    namespace: default",
    "current-context: agentify-test",
    "",
  ].join("\n");
}

export function paths(dir: string) {
  const pki = join(dir, "pki");
  return {
    pki,
    ca: join(pki, "ca.crt"),
    caKey: join(pki, "ca.key"),
    apiCert: join(pki, "apiserver.crt"),
    apiKey: join(pki, "apiserver.key"),
    adminCert: join(pki, "admin.crt"),
    adminKey: join(pki, "admin.key"),
    kubeletClientCert: join(pki, "apiserver-kubelet-client.crt"),
    kubeletClientKey: join(pki, "apiserver-kubelet-client.key"),
    saKey: join(pki, "sa.key"),
    saPub: join(pki, "sa.pub"),
    logs: join(dir, "logs"),
    etcdData: join(dir, "etcd-data"),
    kubeconfig: join(dir, "admin.kubeconfig"),
    state: join(dir, "state.json"),
  };
}

export function writeState(state: ClusterState): void {
  writeFileSync(paths(state.dir).state, JSON.stringify(state, null, 2) + "\n");
}

/** Reads dir/state.json (or a state file path); undefined if missing or unreadable. */
export function readState(dirOrFile: string): ClusterState | undefined {
  const file = dirOrFile.endsWith(".json") ? dirOrFile : paths(dirOrFile).state;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
}

/** Our recorded pid, still running our command line (guards against pid reuse). */
export function ownsPid(state: ClusterState, p: ClusterProcess): boolean {
  return isAlive(p.pid) && cmdline(p.pid).includes(state.dir);
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
}

// ---------------------------------------------------------------------------------------------
// Cleanup on exit / signals, and reaping clusters whose owner died
