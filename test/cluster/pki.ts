// Certificates for the test control plane: a CA, the apiserver's serving cert, the admin client cert
// (O=system:masters, so RBAC lets it do anything), and serving certs for webhooks under test.
// RSA keys come from node:crypto (fast, native); node-forge only builds and signs the X.509 certs,
// because node:crypto cannot create certificates. Keys are PKCS#1 PEM, which Go's TLS loads.
import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import forge from "node-forge";

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export interface IssueOptions {
  commonName: string;
  organization?: string;
  /** DNS names and/or IP addresses for subjectAltName (Go ignores the CN for hostname checks). */
  hosts?: string[];
  usage: "server" | "client";
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A fresh RSA key pair as PKCS#1 (private) / SPKI (public) PEM. */
export function rsaKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

function newCert(subjectKeyPem: string, subject: forge.pki.CertificateField[]): forge.pki.Certificate {
  const priv = forge.pki.privateKeyFromPem(subjectKeyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(priv.n, priv.e);
  // Positive serial: a leading 01 byte keeps the DER integer's sign bit clear.
  cert.serialNumber = "01" + randomBytes(15).toString("hex");
  cert.validity.notBefore = new Date(Date.now() - DAY_MS); // tolerate clock skew
  cert.validity.notAfter = new Date(Date.now() + 365 * DAY_MS);
  cert.setSubject(subject);
  return cert;
}

function subjectOf(cn: string, org?: string): forge.pki.CertificateField[] {
  const fields: forge.pki.CertificateField[] = [];
  if (org) fields.push({ name: "organizationName", value: org });
  fields.push({ name: "commonName", value: cn });
  return fields;
}

/** A self-signed CA. */
export function createCa(commonName = "agentify-test-ca"): CertAndKey {
  const { privatePem } = rsaKeyPair();
  const cert = newCert(privatePem, subjectOf(commonName));
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privatePem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privatePem };
}

/** A leaf certificate signed by `ca` (e.g. a webhook's serving cert for 127.0.0.1). */
export function issueCert(ca: CertAndKey, opts: IssueOptions): CertAndKey {
  const { privatePem } = rsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = newCert(privatePem, subjectOf(opts.commonName, opts.organization));
  cert.setIssuer(caCert.subject.attributes);
  const altNames = (opts.hosts ?? []).map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h }));
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: opts.usage === "server", clientAuth: opts.usage === "client" },
    ...(altNames.length > 0 ? [{ name: "subjectAltName", altNames }] : []),
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  const certPem = forge.pki.certificateToPem(cert);
  // Cheap self-check with Node's own X.509 parser: catches a malformed cert here, not in Go's TLS.
  if (!new X509Certificate(certPem).checkIssued(new X509Certificate(ca.certPem))) {
    throw new Error(`issued certificate for ${opts.commonName} does not chain to the CA`);
  }
  return { certPem, keyPem: privatePem };
}
