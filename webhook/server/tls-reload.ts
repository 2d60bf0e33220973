// Serving certificate loading and hot reload. Kubernetes Secret volumes replace files by
// swapping a `..data` symlink, which a watch on the file itself misses, so the directory
// is watched and, as controller-runtime's certwatcher does, also polled.
import { X509Certificate, createHash } from "node:crypto";
import { watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { createSecureContext } from "node:tls";
// From files.ts, not the certs index: the index also loads node-forge, which only issuing needs.
import { loadServingPair as readServingFiles } from "../../certs/files.ts";

export interface ServingPair {
  cert: Buffer;
  key: Buffer;
  serialNumber: string;
  notAfter: Date;
  /** sha256 of cert + key bytes, to tell a changed pair from a re-read of the same one. */
  digest: string;
}

/**
 * Reads tls.crt/tls.key from `dir` with the certs module (which refuses a key that does not match
 * its certificate, e.g. mid-rotation) and adds what serving needs: a TLS context that builds, the
 * serial and expiry for metrics, and a digest. Throws with a message naming the problem.
 */
export function loadServingPair(dir: string): ServingPair {
  const pem = readServingFiles(dir);
  const cert = Buffer.from(pem.cert);
  const key = Buffer.from(pem.key);
  // Catches what the match check does not (e.g. a broken chain after the leaf).
  createSecureContext({ cert, key });
  const x509 = new X509Certificate(cert);
  const digest = createHash("sha256").update(cert).update("\0").update(key).digest("hex");
  return { cert, key, serialNumber: x509.serialNumber, notAfter: new Date(x509.validTo), digest };
}

export interface CertReloaderOptions {
  dir: string;
  /** The pair already in use. */
  current: ServingPair;
  pollIntervalMs: number;
  /** Called with each new valid pair; install it here (server.setSecureContext). */
  onReload(pair: ServingPair): void;
  /** Called once per distinct broken pair; the old pair stays in use. */
  onError(err: Error): void;
  /** Called when the directory cannot be watched; polling goes on. */
  onWatchError(err: Error): void;
}

/** Events arrive in bursts (several renames per Secret update, or cert then key); settle first. */
const DEBOUNCE_MS = 100;

export interface CertReloader {
  /** Re-reads the directory now; true if a new pair was installed. */
  check(): boolean;
  stop(): void;
}

export function startCertReloader(options: CertReloaderOptions): CertReloader {
  let current = options.current.digest;
  let pendingFailure = "";
  let reportedFailure = "";
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let watchFailing = false;

  const check = (): boolean => {
    let pair: ServingPair;
    try {
      pair = loadServingPair(options.dir);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      // Writers rename tls.key and tls.crt one after the other, so a single mismatch may be a
      // rotation in progress: look again shortly, and report only a failure seen twice.
      if (pendingFailure !== error.message) {
        pendingFailure = error.message;
        schedule();
      } else if (reportedFailure !== error.message) {
        reportedFailure = error.message;
        options.onError(error);
      }
      return false;
    }
    pendingFailure = "";
    reportedFailure = "";
    if (pair.digest === current) return false;
    current = pair.digest;
    options.onReload(pair);
    return true;
  };

  const schedule = (): void => {
    if (debounce !== undefined) clearTimeout(debounce);
    debounce = setTimeout(() => {
      debounce = undefined;
      check();
    }, DEBOUNCE_MS);
    debounce.unref();
  };

  // Reported once per outage, not on every poll that retries the watch.
  const watchFailed = (err: unknown): void => {
    watcher?.close();
    watcher = undefined;
    if (!watchFailing) options.onWatchError(err instanceof Error ? err : new Error(String(err)));
    watchFailing = true;
  };

  const startWatch = (): void => {
    try {
      watcher = watch(options.dir, { persistent: false }, schedule);
      watcher.on("error", watchFailed);
      watchFailing = false;
    } catch (err) {
      watchFailed(err);
    }
  };

  startWatch();
  const poll = setInterval(() => {
    if (watcher === undefined) startWatch();
    check();
  }, options.pollIntervalMs);
  poll.unref();

  return {
    check,
    stop(): void {
      clearInterval(poll);
      if (debounce !== undefined) clearTimeout(debounce);
      watcher?.close();
      watcher = undefined;
    },
  };
}
