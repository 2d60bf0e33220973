// What a self-managed TLS Secret needs, decided from its contents alone: keep it, re-issue the
// serving certificate from the same CA (the caBundle stays valid), or create a new CA and pair.
// Pure apart from key generation in issuePlanned, so every branch is tested without a cluster.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { CertError } from "./errors.ts";
import { generateCa, issueServingCert, type CaPair } from "./issue.ts";
import { serviceDnsNames, servingCertNames } from "./names.ts";

/** PEM texts by their kubernetes.io/tls key (ca.crt, ca.key, tls.crt, tls.key). */
export interface TlsContents {
  readonly caCert?: string;
  readonly caKey?: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
}

export interface PlanOptions {
  service: string;
  namespace: string;
  /** Renew what expires within this many days. */
  renewBeforeDays: number;
  now: Date;
}

export type SecretPlan =
  | { readonly action: "keep"; readonly why: string }
  | { readonly action: "reissue"; readonly why: string }
  | { readonly action: "create"; readonly why: string };

export interface IssueOptions {
  service: string;
  namespace: string;
  days: number;
  caDays: number;
  now: Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** `current` undefined: there is no Secret. */
export function planSecret(current: TlsContents | undefined, opts: PlanOptions): SecretPlan {
  const names = serviceDnsNames(opts.service, opts.namespace);
  if (!(opts.renewBeforeDays > 0)) throw new CertError(`renew-before must be a positive number of days, got ${opts.renewBeforeDays}`);
  if (current === undefined) return { action: "create", why: "the Secret does not exist" };
  const renewBy = new Date(opts.now.getTime() + opts.renewBeforeDays * DAY_MS);

  if (current.caCert === undefined || current.caKey === undefined) return { action: "create", why: "the Secret has no ca.crt and ca.key" };
  const ca = parsePair(current.caCert, current.caKey, "ca.crt", "ca.key");
  if (typeof ca === "string") return { action: "create", why: ca };
  if (!ca.cert.ca) return { action: "create", why: "ca.crt is not a CA certificate" };
  const caProblem = validityProblem(ca.cert, "ca.crt", opts.now, renewBy, opts.renewBeforeDays);
  if (caProblem) return { action: "create", why: caProblem };

  if (current.tlsCert === undefined || current.tlsKey === undefined) return { action: "reissue", why: "the Secret has no tls.crt and tls.key" };
  const serving = parsePair(current.tlsCert, current.tlsKey, "tls.crt", "tls.key");
  if (typeof serving === "string") return { action: "reissue", why: serving };
  if (!serving.cert.checkIssued(ca.cert) || !serving.cert.verify(ca.cert.publicKey)) return { action: "reissue", why: "tls.crt is not signed by ca.crt" };
  const covered = servingCertNames(current.tlsCert).dnsNames;
  const missing = names.filter((name) => !covered.includes(name));
  if (missing.length > 0) return { action: "reissue", why: `tls.crt does not cover ${missing.join(", ")}` };
  const servingProblem = validityProblem(serving.cert, "tls.crt", opts.now, renewBy, opts.renewBeforeDays);
  if (servingProblem) return { action: "reissue", why: servingProblem };

  return { action: "keep", why: `tls.crt is valid until ${iso(serving.cert.validTo)}, more than ${opts.renewBeforeDays} days from now` };
}

/** The Secret's new contents for a "create" or "reissue" plan. */
export function issuePlanned(plan: SecretPlan, current: TlsContents | undefined, opts: IssueOptions): Required<TlsContents> {
  if (plan.action === "keep") throw new CertError("nothing to issue: the Secret is kept");
  let ca: CaPair;
  if (plan.action === "create") {
    ca = generateCa({ days: opts.caDays, now: opts.now });
  } else {
    if (current?.caCert === undefined || current.caKey === undefined) throw new CertError("cannot re-issue without the CA in the Secret");
    ca = { cert: current.caCert, key: current.caKey };
  }
  const serving = issueServingCert(ca, { service: opts.service, namespace: opts.namespace, days: opts.days, now: opts.now });
  return { caCert: ca.cert, caKey: ca.key, tlsCert: serving.cert, tlsKey: serving.key };
}

/** Serial and end of validity, the only things about a certificate worth logging. */
export function describeCert(pem: string): string {
  const cert = new X509Certificate(pem);
  return `serial ${cert.serialNumber.toLowerCase()}, valid until ${iso(cert.validTo)}`;
}

/** The parsed pair, or why it is unusable. */
function parsePair(certPem: string, keyPem: string, certName: string, keyName: string): { cert: X509Certificate } | string {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return `${certName} is not a PEM certificate`;
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return `${keyName} does not match ${certName}`;
  } catch {
    return `${keyName} is not a PEM private key`;
  }
  return { cert };
}

function validityProblem(cert: X509Certificate, name: string, now: Date, renewBy: Date, renewBeforeDays: number): string | undefined {
  if (new Date(cert.validFrom) > now) return `${name} is not valid before ${iso(cert.validFrom)}`;
  const notAfter = new Date(cert.validTo);
  if (notAfter <= now) return `${name} expired on ${iso(cert.validTo)}`;
  if (notAfter <= renewBy) return `${name} expires on ${iso(cert.validTo)}, within ${renewBeforeDays} days`;
  return undefined;
}

function iso(x509Date: string): string {
  return new Date(x509Date).toISOString();
}
