// Reading kubeconfigs without client-node: the current context's cluster and user, inline or
// file material (relative to the file), $KUBECONFIG merging, token files that rotate, and clear
// refusals of what is not supported.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { loadKubeConnection, tokenFile } from "../../../dispatcher/kube/kubeconfig.ts";

const b64 = (text: string): string => Buffer.from(text).toString("base64");

function kubeconfig(user: Record<string, unknown>, extra = ""): string {
  return `apiVersion: v1
kind: Config
current-context: main
contexts:
  - name: main
    context: {cluster: c1, user: u1}
clusters:
  - name: c1
    cluster: {server: "https://10.0.0.1:6443/", certificate-authority: ca.crt}
users:
  - name: u1
    user: ${JSON.stringify(user)}
${extra}`;
}

describe("dispatcher kubeconfig", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "agentify-kubeconfig-"));
    writeFileSync(join(dir, "ca.crt"), "CA PEM");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the current context's server, a CA file relative to the kubeconfig, and an inline client certificate", () => {
    const path = join(dir, "config");
    writeFileSync(path, kubeconfig({ "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") }));
    const c = loadKubeConnection(path, {});
    assert.equal(c.server, "https://10.0.0.1:6443");
    assert.equal(c.ca?.toString(), "CA PEM");
    assert.equal(c.cert?.toString(), "CERT");
    assert.equal(c.key?.toString(), "KEY");
    assert.equal(c.token, undefined);
    assert.equal(c.kubeconfigPath, path);
  });

  it("merges $KUBECONFIG's files, the first to define a name winning", () => {
    const first = join(dir, "a");
    const second = join(dir, "b");
    writeFileSync(first, "apiVersion: v1\nkind: Config\ncurrent-context: main\nusers:\n  - name: u1\n    user: {token: first}\n");
    writeFileSync(second, kubeconfig({ token: "second" }));
    const c = loadKubeConnection(undefined, { KUBECONFIG: `${first}:${join(dir, "missing")}:${second}`, HOME: dir });
    assert.equal(c.server, "https://10.0.0.1:6443");
    assert.equal(c.token?.(), "first");
  });

  it("re-reads a token file when it changes", async () => {
    const file = join(dir, "token");
    writeFileSync(file, "one\n");
    const read = tokenFile(file);
    assert.equal(read(), "one");
    writeFileSync(file, "two\n");
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    await sleep(1100); // tokenFile looks at the file at most once a second
    assert.equal(read(), "two");
  });

  it("refuses exec and auth-provider users, naming what is unsupported", () => {
    const path = join(dir, "config");
    writeFileSync(path, kubeconfig({ exec: { command: "aws" } }));
    assert.throws(() => loadKubeConnection(path, {}), /user u1 uses exec, which agentify's Kubernetes client does not support/);
  });

  it("refuses a context naming an undefined cluster, and a missing certificate file, with the file's name", () => {
    const path = join(dir, "config");
    writeFileSync(path, kubeconfig({}).replace("cluster: c1,", "cluster: nope,"));
    assert.throws(() => loadKubeConnection(path, {}), /context main names cluster nope, which is not defined/);
    writeFileSync(path, kubeconfig({ "client-certificate": "gone.crt", "client-key-data": b64("KEY") }));
    assert.throws(() => loadKubeConnection(path, {}), /cannot read client-certificate .*gone\.crt: ENOENT/);
  });

  it("without any kubeconfig outside a pod, says where it looked", () => {
    assert.throws(() => loadKubeConnection(undefined, { HOME: dir }), /no kubeconfig: pass --kubeconfig, set KUBECONFIG or ~\/\.kube\/config, or run in a pod/);
  });
});
