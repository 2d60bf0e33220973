// RSA key pairs and key/certificate matching. Keys come from node:crypto (OpenSSL, a few
// ms) rather than node-forge's pure-JS generator (hundreds of ms per 2048-bit key).
// RSA because node-forge 1.4 can only sign and parse RSA certificates (no ECDSA).
import { generateKeyPairSync } from "node:crypto";
import forge from "node-forge";

export interface ForgeKeyPair {
  /** PKCS#8 PEM, as written to ca.key / tls.key. */
  readonly privateKeyPem: string;
  readonly privateKey: forge.pki.rsa.PrivateKey;
  readonly publicKey: forge.pki.rsa.PublicKey;
}

export const RSA_BITS = 2048;

export function newRsaKeyPair(): ForgeKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: RSA_BITS,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  return {
    privateKeyPem: privateKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
  };
}

export { keyMatchesCert } from "./key-match.ts";
