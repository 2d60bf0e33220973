// Where the apiserver is and how to authenticate to it: a kubeconfig file (--kubeconfig, else
// $KUBECONFIG's files merged as kubectl merges them, else ~/.kube/config), or the pod's service
// account. Tokens, client certificates and CA bundles are supported, inline or by file; exec and
// auth-provider plugins are not, and are refused with a message that says so.
import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** What every request needs: the server, TLS material and the credential. */
export interface KubeConnection {
  /** e.g. https://10.96.0.1:443, without a trailing slash. */
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  /** The bearer token now (a token file is re-read when it changes: bound tokens rotate). */
  token?: () => string;
  /** The kubeconfig file it came from (undefined in-cluster), for tools that build other clients. */
  kubeconfigPath?: string;
}

export class KubeconfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KubeconfigError";
  }
}

type Loose = Record<string, unknown>;

function obj(value: unknown): Loose {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Loose) : {};
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

interface Named {
  name: string;
  value: Loose;
  /** The file it was read from: relative paths inside resolve against its directory. */
  dir: string;
}

interface Merged {
  currentContext?: string;
  contexts: Named[];
  clusters: Named[];
  users: Named[];
}

function readKubeconfig(path: string, into: Merged): void {
  let doc: Loose;
  try {
    doc = obj(parseYaml(readFileSync(path, "utf8")));
  } catch (err) {
    throw new KubeconfigError(`${path}: cannot read kubeconfig: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  const dir = dirname(path);
  into.currentContext ??= str(doc["current-context"]);
  // As kubectl merges: the first file to name an entry wins.
  const add = (list: Named[], entries: unknown, field: string): void => {
    for (const entry of Array.isArray(entries) ? entries : []) {
      const name = str(obj(entry)["name"]);
      if (name !== undefined && !list.some((n) => n.name === name)) list.push({ name, value: obj(obj(entry)[field]), dir });
    }
  };
  add(into.contexts, doc["contexts"], "context");
  add(into.clusters, doc["clusters"], "cluster");
  add(into.users, doc["users"], "user");
}

/** Inline base64 data, else a file (relative to the kubeconfig), else undefined. */
function material(entry: Named, dataKey: string, fileKey: string): Buffer | undefined {
  const data = str(entry.value[dataKey]);
  if (data !== undefined) return Buffer.from(data, "base64");
  const file = str(entry.value[fileKey]);
  if (file === undefined) return undefined;
  const path = isAbsolute(file) ? file : join(entry.dir, file);
  try {
    return readFileSync(path);
  } catch (err) {
    throw new KubeconfigError(`${entry.name}: cannot read ${fileKey} ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** A token file, re-read when its modification time changes (checked at most once a second). */
export function tokenFile(path: string): () => string {
  let token = "";
  let mtimeMs = -1;
  let checkedAt = 0;
  return () => {
    const now = Date.now();
    if (now - checkedAt < 1000 && mtimeMs >= 0) return token;
    checkedAt = now;
    try {
      const stat = statSync(path);
      if (stat.mtimeMs !== mtimeMs) {
        token = readFileSync(path, "utf8").trim();
        mtimeMs = stat.mtimeMs;
      }
    } catch (err) {
      if (mtimeMs < 0) throw new KubeconfigError(`cannot read token file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      // Keep the last token: the kubelet replaces the file atomically, a miss is transient.
    }
    return token;
  };
}

function fromKubeconfig(paths: string[]): KubeConnection {
  const merged: Merged = { contexts: [], clusters: [], users: [] };
  for (const path of paths) readKubeconfig(path, merged);
  const source = paths.join(delimiter);
  const contextName = merged.currentContext ?? merged.contexts[0]?.name;
  const context = merged.contexts.find((c) => c.name === contextName);
  if (!context) throw new KubeconfigError(`${source}: no context ${contextName === undefined ? "defined" : `named ${contextName}`}`);
  const clusterName = str(context.value["cluster"]);
  const cluster = merged.clusters.find((c) => c.name === clusterName);
  if (!cluster) throw new KubeconfigError(`${source}: context ${context.name} names cluster ${clusterName ?? "(none)"}, which is not defined`);
  const server = str(cluster.value["server"]);
  if (server === undefined) throw new KubeconfigError(`${source}: cluster ${cluster.name} has no server`);
  if (str(cluster.value["proxy-url"]) !== undefined) throw new KubeconfigError(`${source}: cluster ${cluster.name} uses proxy-url, which is not supported`);
  const connection: KubeConnection = {
    server: server.replace(/\/+$/, ""),
    insecureSkipTlsVerify: cluster.value["insecure-skip-tls-verify"] === true,
    ...(paths.length === 1 ? { kubeconfigPath: paths[0]! } : {}),
  };
  const ca = material(cluster, "certificate-authority-data", "certificate-authority");
  if (ca) connection.ca = ca;
  const serverName = str(cluster.value["tls-server-name"]);
  if (serverName) connection.tlsServerName = serverName;
  const userName = str(context.value["user"]);
  const user = merged.users.find((u) => u.name === userName);
  if (user === undefined) return connection;
  for (const unsupported of ["exec", "auth-provider", "username", "password", "as"]) {
    if (user.value[unsupported] !== undefined) {
      throw new KubeconfigError(`${source}: user ${user.name} uses ${unsupported}, which agentify's Kubernetes client does not support; use a token, a token file or a client certificate`);
    }
  }
  const cert = material(user, "client-certificate-data", "client-certificate");
  const key = material(user, "client-key-data", "client-key");
  if ((cert === undefined) !== (key === undefined)) throw new KubeconfigError(`${source}: user ${user.name} has a client certificate without a key, or a key without a certificate`);
  if (cert && key) Object.assign(connection, { cert, key });
  const token = str(user.value["token"]);
  const file = str(user.value["tokenFile"]);
  if (token !== undefined) connection.token = () => token;
  else if (file !== undefined) connection.token = tokenFile(isAbsolute(file) ? file : join(user.dir, file));
  return connection;
}

function inCluster(env: NodeJS.ProcessEnv): KubeConnection {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  if (!host || !port) {
    throw new KubeconfigError("no kubeconfig: pass --kubeconfig, set KUBECONFIG or ~/.kube/config, or run in a pod (KUBERNETES_SERVICE_HOST is not set)");
  }
  const token = tokenFile(join(SERVICE_ACCOUNT_DIR, "token"));
  token();
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    ca: readFileSync(join(SERVICE_ACCOUNT_DIR, "ca.crt")),
    insecureSkipTlsVerify: false,
    token,
  };
}

/** --kubeconfig, else $KUBECONFIG (its files merged), else ~/.kube/config, else in-cluster. */
export function loadKubeConnection(path: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeConnection {
  if (path) return fromKubeconfig([path]);
  const listed = (env["KUBECONFIG"] ?? "").split(delimiter).filter((p) => p !== "" && existsSync(p));
  if (listed.length > 0) return fromKubeconfig(listed);
  const home = join(env["HOME"] ?? homedir(), ".kube", "config");
  if (existsSync(home)) return fromKubeconfig([home]);
  return inCluster(env);
}
