import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  caBundle, CertError, generateCa, issueServingCert, loadServingPair, readCertDir, writeCertDir,
  type ServingPair,
} from "../../../certs/index.ts";
import { Worker } from "node:worker_threads";
import { NAMESPACE, removeTempDirs, SERVICE, sharedPairs, tempDir } from "./helpers.ts";

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function throwsCertError(call: () => unknown, message: string): void {
  assert.throws(call, (err: unknown) => err instanceof CertError && err.message === message);
}

describe("certs: the certificate directory", () => {
  after(removeTempDirs);

  it("writes ca.crt, ca.key, tls.crt, tls.key with 0600 keys and no temp files left", () => {
    const dir = join(tempDir(), "nested", "certs");
    writeCertDir(dir, sharedPairs());
    assert.deepEqual(readdirSync(dir).sort(), ["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    assert.equal(mode(join(dir, "ca.key")), 0o600);
    assert.equal(mode(join(dir, "tls.key")), 0o600);
    assert.equal(mode(join(dir, "tls.crt")) & 0o600, 0o600);
    assert.equal(mode(dir), 0o700);
  });

  it("reads back what it wrote", () => {
    const dir = tempDir();
    const { ca, serving } = sharedPairs();
    writeCertDir(dir, { ca, serving });
    assert.deepEqual(readCertDir(dir), { ca, caCert: ca.cert, serving });
    assert.deepEqual(loadServingPair(dir), serving);
  });

  it("keeps a key 0600 when it replaces a more open file", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "tls.key"), "old", { mode: 0o644 });
    writeCertDir(dir, { serving: sharedPairs().serving });
    assert.equal(mode(join(dir, "tls.key")), 0o600);
  });

  it("writes only the serving pair when no CA is given", () => {
    const dir = tempDir();
    writeCertDir(dir, { serving: sharedPairs().serving });
    assert.deepEqual(readdirSync(dir).sort(), ["tls.crt", "tls.key"]);
    assert.deepEqual(readCertDir(dir), { serving: sharedPairs().serving });
  });

  it("reads a cert-manager style directory (ca.crt without ca.key)", () => {
    const dir = tempDir();
    const { ca, serving } = sharedPairs();
    writeFileSync(join(dir, "ca.crt"), ca.cert);
    writeCertDir(dir, { serving });
    assert.deepEqual(readCertDir(dir), { caCert: ca.cert, serving });
    assert.equal(caBundle(dir), Buffer.from(ca.cert).toString("base64"));
  });

  it("refuses to write a key that does not match its cert", () => {
    const dir = tempDir();
    const { ca, serving } = sharedPairs();
    throwsCertError(() => writeCertDir(dir, { serving: { cert: serving.cert, key: ca.key } }),
      "refusing to write a serving key that does not match its certificate");
    throwsCertError(() => writeCertDir(dir, { ca: { cert: ca.cert, key: serving.key } }),
      "refusing to write a CA key that does not match its certificate");
    assert.deepEqual(readdirSync(dir), []);
  });

  it("loadServingPair rejects a half-rotated pair (new key, old cert)", () => {
    const dir = tempDir();
    const { ca, serving } = sharedPairs();
    writeCertDir(dir, { serving });
    const next = issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE });
    writeFileSync(join(dir, "tls.key"), next.key);
    throwsCertError(() => loadServingPair(dir), `${join(dir, "tls.key")} does not match tls.crt (rotation in progress?)`);
    writeFileSync(join(dir, "tls.crt"), next.cert);
    assert.deepEqual(loadServingPair(dir), next);
  });

  it("caBundle is the base64 of ca.crt's PEM, on one line", () => {
    const dir = tempDir();
    writeCertDir(dir, sharedPairs());
    const bundle = caBundle(dir);
    assert.match(bundle, /^[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(bundle, "base64").toString("utf8"), readFileSync(join(dir, "ca.crt"), "utf8"));
    assert.match(Buffer.from(bundle, "base64").toString("utf8"), /^-----BEGIN CERTIFICATE-----\n/);
  });

  it("names a missing directory, a file given as a directory, and a missing ca.crt", () => {
    const dir = tempDir();
    throwsCertError(() => readCertDir(join(dir, "nope")), `certificate directory ${join(dir, "nope")} does not exist`);
    writeFileSync(join(dir, "file"), "");
    throwsCertError(() => caBundle(join(dir, "file")), `${join(dir, "file")} is not a directory`);
    throwsCertError(() => caBundle(dir), `${dir} has no ca.crt; run \`agentify certs generate\` first`);
    throwsCertError(() => loadServingPair(dir), `${dir} has no tls.crt and tls.key`);
    throwsCertError(() => writeCertDir(join(dir, "file"), sharedPairs()), `cannot create certificate directory ${join(dir, "file")}: EEXIST`);
    throwsCertError(() => writeCertDir(join(dir, "file", "sub"), sharedPairs()), `cannot create certificate directory ${join(dir, "file", "sub")}: ENOTDIR`);
  });

  it("a concurrent reader sees only whole files, and loadServingPair only matching pairs", async () => {
    const dir = tempDir();
    const ca = generateCa();
    const pairs = [0, 1, 2].map(() => issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE }));
    writeCertDir(dir, { serving: pairs[0] as ServingPair });
    const done = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL("./fixtures/rotate-worker.ts", import.meta.url), {
      workerData: { dir, pairs, rounds: 60, done },
    });
    const exited = new Promise((resolve, reject) => worker.once("exit", resolve).once("error", reject));
    const certs = new Set(pairs.map((pair) => pair.cert));
    let loaded = 0;
    let mismatched = 0;
    while (Atomics.load(done, 0) === 0) {
      assert.ok(certs.has(readFileSync(join(dir, "tls.crt"), "utf8")), "torn or unknown tls.crt");
      try {
        const pair = loadServingPair(dir);
        assert.ok(pairs.some((known) => known.cert === pair.cert && known.key === pair.key));
        loaded++;
      } catch (err) {
        if (!(err instanceof CertError)) throw err;
        mismatched++;
      }
    }
    assert.equal(await exited, 0);
    assert.ok(loaded > 0, `loaded ${loaded}, mismatched ${mismatched}`);
    assert.deepEqual(loadServingPair(dir), pairs[59 % 3]);
  });
});
