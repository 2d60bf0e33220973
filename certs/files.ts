// The certificate directory: ca.crt, ca.key, tls.crt, tls.key (the names a
// kubernetes.io/tls Secret and cert-manager use, so the webhook reads either the same way).
//
// Rotation must never leave a reader with a key that does not match its cert. Every file
// is first written in full to a temporary name in the same directory, then renamed into
// place in the order ca.key, ca.crt, tls.key, tls.crt. Each rename is atomic, but the pair
// is not: between the last two renames a reader can see the new tls.key with the old
// tls.crt. Readers therefore load through loadServingPair, which rejects a mismatched pair;
// the webhook keeps serving with its current context and retries on the next change
// (the tls.crt rename is itself a change event).
import {
  closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync,
} from "node:fs";
import { join } from "node:path";
import { createPrivateKey, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { CertError } from "./errors.ts";
import { keyMatchesCert } from "./key-match.ts";
import type { CaPair, ServingPair } from "./issue.ts";

export const CA_CERT_FILE = "ca.crt";
export const CA_KEY_FILE = "ca.key";
export const TLS_CERT_FILE = "tls.crt";
export const TLS_KEY_FILE = "tls.key";

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

export interface CertDirContents {
  /** ca.crt and ca.key, when both exist: what `certs rotate` signs with. */
  readonly ca?: CaPair;
  /** ca.crt alone (cert-manager Secrets carry it without the key): the caBundle source. */
  readonly caCert?: string;
  /** tls.crt and tls.key, when both exist. Not checked for a match: see loadServingPair. */
  readonly serving?: ServingPair;
}

/** Writes whichever of `ca` and `serving` are given; creates `dir` (mode 0700) if needed. */
export function writeCertDir(dir: string, pairs: { ca?: CaPair; serving?: ServingPair }): void {
  const { ca, serving } = pairs;
  if (ca && !keyMatchesCert(ca.cert, ca.key)) throw new CertError("refusing to write a CA key that does not match its certificate");
  if (serving && !keyMatchesCert(serving.cert, serving.key)) throw new CertError("refusing to write a serving key that does not match its certificate");
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(`cannot create certificate directory ${dir}`, err);
  }
  checkDir(dir);
  // Keys are renamed before their certs (see the file comment for why readers must still check).
  const files: Array<[name: string, text: string, mode: number]> = [];
  if (ca) files.push([CA_KEY_FILE, ca.key, KEY_MODE], [CA_CERT_FILE, ca.cert, CERT_MODE]);
  if (serving) files.push([TLS_KEY_FILE, serving.key, KEY_MODE], [TLS_CERT_FILE, serving.cert, CERT_MODE]);
  const staged: Array<[tmp: string, target: string]> = [];
  try {
    for (const [name, text, mode] of files) {
      const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
      staged.push([tmp, join(dir, name)]);
      writeDurably(tmp, text, mode);
    }
  } catch (err) {
    for (const [tmp] of staged) rmSync(tmp, { force: true });
    throw ioError(`cannot write to ${dir}`, err);
  }
  try {
    for (const [tmp, target] of staged) renameSync(tmp, target);
  } catch (err) {
    throw ioError(`cannot replace files in ${dir}`, err);
  }
  syncDir(dir);
}

export function readCertDir(dir: string): CertDirContents {
  checkDir(dir);
  const caCert = readOptional(join(dir, CA_CERT_FILE));
  const caKey = readOptional(join(dir, CA_KEY_FILE));
  const tlsCert = readOptional(join(dir, TLS_CERT_FILE));
  const tlsKey = readOptional(join(dir, TLS_KEY_FILE));
  return {
    ...(caCert !== undefined && caKey !== undefined ? { ca: { cert: caCert, key: caKey } } : {}),
    ...(caCert !== undefined ? { caCert } : {}),
    ...(tlsCert !== undefined && tlsKey !== undefined ? { serving: { cert: tlsCert, key: tlsKey } } : {}),
  };
}

/**
 * tls.crt and tls.key, only if the key matches the cert. Throws CertError otherwise, e.g.
 * mid-rotation; callers that already serve should keep their current pair and retry.
 */
export function loadServingPair(dir: string): ServingPair {
  checkDir(dir);
  const key = readOptional(join(dir, TLS_KEY_FILE));
  const cert = readOptional(join(dir, TLS_CERT_FILE));
  if (cert === undefined || key === undefined) throw new CertError(`${dir} has no ${TLS_CERT_FILE} and ${TLS_KEY_FILE}`);
  // Each file is parsed on its own first, so a broken file is named as such, not as a mismatch.
  const unparsable = (file: string, what: string, err: unknown): CertError =>
    new CertError(`${join(dir, file)} is not a PEM ${what}: ${(err as Error).message}`);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw unparsable(TLS_CERT_FILE, "certificate", err);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw unparsable(TLS_KEY_FILE, "private key", err);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new CertError(`${join(dir, TLS_KEY_FILE)} does not match ${TLS_CERT_FILE} (rotation in progress?)`);
  return { cert, key };
}

/** The base64 of ca.crt's PEM, as MutatingWebhookConfiguration's clientConfig.caBundle wants it. */
export function caBundle(dir: string): string {
  const { caCert } = readCertDir(dir);
  if (caCert === undefined) throw new CertError(`${dir} has no ${CA_CERT_FILE}; run \`agentify certs generate\` first`);
  return Buffer.from(caCert, "utf8").toString("base64");
}

export function checkDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new CertError(`certificate directory ${dir} does not exist`);
  }
  if (!isDir) throw new CertError(`${dir} is not a directory`);
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw ioError(`cannot read ${path}`, err);
  }
}

/** File-system failures (permissions, read-only mounts) are the user's to fix: no stack. */
function ioError(what: string, err: unknown): CertError {
  const code = (err as NodeJS.ErrnoException).code;
  return new CertError(`${what}: ${code ?? (err as Error).message}`);
}

/** mode is set at creation (wx), so a key is never readable by others, even briefly. */
function writeDurably(path: string, text: string, mode: number): void {
  const fd = openSync(path, "wx", mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Persists the renames; best effort, as some filesystems refuse to fsync a directory. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not fatal: the files themselves are complete.
  }
}
