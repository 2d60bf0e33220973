// Key/certificate matching with node:crypto alone, so that readers of a certificate directory
// (the webhook's reloader) do not load node-forge, which only issuing needs.
import { createPrivateKey, X509Certificate } from "node:crypto";

/** True when `keyPem` is the private key for `certPem`; false for any unparsable input. */
export function keyMatchesCert(certPem: string, keyPem: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}
