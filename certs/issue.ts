// Issuing the webhook's private CA and its serving certificate with node-forge.
import { randomBytes } from "node:crypto";
import forge from "node-forge";
import { CertError } from "./errors.ts";
import { keyMatchesCert, newRsaKeyPair } from "./keys.ts";
import {
  ALT_NAME_DNS, ALT_NAME_IP, checkExtraNames, serviceDnsNames, unique, type ServingNames,
} from "./names.ts";

/** PEM strings, ready for `tls.createSecureContext({ cert, key })`. */
export interface CaPair {
  readonly cert: string;
  readonly key: string;
}
export interface ServingPair {
  readonly cert: string;
  readonly key: string;
}

export interface CaOptions {
  commonName?: string;
  days?: number;
  now?: Date;
}
export interface ServingCertOptions {
  service: string;
  namespace: string;
  ips?: string[];
  dnsNames?: string[];
  days?: number;
  now?: Date;
}

export const DEFAULT_CA_COMMON_NAME = "agentify-webhook-ca";
export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_SERVING_DAYS = 365;
/** notBefore is backdated so nodes whose clocks run a little behind accept a fresh cert. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export function generateCa(opts: CaOptions = {}): CaPair {
  const commonName = opts.commonName ?? DEFAULT_CA_COMMON_NAME;
  if (commonName.length === 0 || commonName.length > 64) throw new CertError("CA common name must be 1 to 64 characters");
  const keys = newRsaKeyPair();
  const cert = newCertificate(keys.publicKey, opts.now ?? new Date(), checkDays(opts.days ?? DEFAULT_CA_DAYS));
  const subject = [{ name: "commonName", value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    // pathLen 0: this CA signs serving certs only, never another CA.
    { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: toPem(cert), key: keys.privateKeyPem };
}

/** A serving cert for Service `service` in `namespace`, signed by `ca`. */
export function issueServingCert(ca: CaPair, opts: ServingCertOptions): ServingPair {
  const ips = unique(opts.ips ?? []);
  const extraDnsNames = opts.dnsNames ?? [];
  checkExtraNames(extraDnsNames, ips);
  const serviceNames = serviceDnsNames(opts.service, opts.namespace);
  return issueForNames(ca, {
    commonName: serviceNames[2] as string, // NAME.NS.svc, the name the apiserver dials
    dnsNames: unique([...serviceNames, ...extraDnsNames]),
    ips,
  }, opts.days ?? DEFAULT_SERVING_DAYS, opts.now ?? new Date());
}

/** A new key and cert with exactly `names` (rotation keeps the current cert's names). */
export function issueForNames(ca: CaPair, names: ServingNames, days: number, now: Date): ServingPair {
  if (names.dnsNames.length === 0 && names.ips.length === 0) throw new CertError("a serving certificate needs at least one DNS name or IP");
  checkExtraNames(names.dnsNames, names.ips);
  const { caCert, caKey } = parseCa(ca);
  const keys = newRsaKeyPair();
  const cert = newCertificate(keys.publicKey, now, checkDays(days));
  // A serving cert that outlives its CA would fail verification anyway: stop at the CA's end.
  if (cert.validity.notAfter > caCert.validity.notAfter) cert.validity.notAfter = caCert.validity.notAfter;
  cert.setSubject([{ name: "commonName", value: names.commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: false, critical: true },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: [
        ...names.dnsNames.map((value) => ({ type: ALT_NAME_DNS, value })),
        ...names.ips.map((ip) => ({ type: ALT_NAME_IP, ip })),
      ],
    },
    { name: "subjectKeyIdentifier" },
    { name: "authorityKeyIdentifier", keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: toPem(cert), key: keys.privateKeyPem };
}

function parseCa(ca: CaPair): { caCert: forge.pki.Certificate; caKey: forge.pki.rsa.PrivateKey } {
  if (!keyMatchesCert(ca.cert, ca.key)) throw new CertError("the CA key does not match the CA certificate");
  try {
    const caCert = forge.pki.certificateFromPem(ca.cert);
    const caKey = forge.pki.privateKeyFromPem(ca.key) as forge.pki.rsa.PrivateKey;
    return { caCert, caKey };
  } catch (err) {
    throw new CertError(`cannot use the CA (only RSA CAs are supported): ${(err as Error).message}`);
  }
}

function newCertificate(publicKey: forge.pki.rsa.PublicKey, now: Date, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = randomSerial();
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
  return cert;
}

/**
 * 128 random bits as a positive DER INTEGER: the top bit is cleared (else negative) and
 * the first byte kept non-zero (a leading 0x00 is non-minimal DER, which OpenSSL rejects).
 */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] as number) & 0x7f) || 0x01;
  return bytes.toString("hex");
}

/** forge writes CRLF line ends; use LF like openssl and node:crypto. */
function toPem(cert: forge.pki.Certificate): string {
  return forge.pki.certificateToPem(cert).replace(/\r\n/g, "\n");
}

function checkDays(days: number): number {
  if (!Number.isFinite(days) || days <= 0) throw new CertError(`validity must be a positive number of days, got ${days}`);
  return days;
}
