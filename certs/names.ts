// The names a serving certificate covers: the in-cluster forms of a Service's DNS name,
// plus extra DNS names and IPs (e.g. 127.0.0.1 for a webhook run outside the cluster).
import { isIP } from "node:net";
import forge from "node-forge";
import { CertError } from "./errors.ts";

export interface ServingNames {
  readonly commonName: string;
  readonly dnsNames: readonly string[];
  readonly ips: readonly string[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_NAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** A lower-case DNS name, optionally with a leading `*.` wildcard. */
export function isDnsName(value: string): boolean {
  return value.length <= 253 && DNS_NAME.test(value) && value.split(".").every((label) => label.length <= 63);
}

export function isIpAddress(value: string): boolean {
  return isIP(value) !== 0;
}

/**
 * NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local: the apiserver dials
 * NAME.NS.svc; the other forms cover in-cluster clients and probes.
 */
export function serviceDnsNames(service: string, namespace: string): string[] {
  if (!isDnsLabel(service)) throw new CertError(`invalid service name ${JSON.stringify(service)}: expected a DNS label such as agentify-webhook`);
  if (!isDnsLabel(namespace)) throw new CertError(`invalid namespace ${JSON.stringify(namespace)}: expected a DNS label such as agentify-system`);
  const svc = `${service}.${namespace}.svc`;
  return [service, `${service}.${namespace}`, svc, `${svc}.cluster.local`];
}

export function checkExtraNames(dnsNames: readonly string[], ips: readonly string[]): void {
  for (const name of dnsNames) {
    if (!isDnsName(name)) throw new CertError(`invalid DNS name ${JSON.stringify(name)}`);
  }
  for (const ip of ips) {
    if (!isIpAddress(ip)) throw new CertError(`invalid IP address ${JSON.stringify(ip)}`);
  }
}

/** Order-preserving de-duplication, so repeated flags do not repeat SAN entries. */
export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Reads the common name and SANs back from a certificate (what `certs rotate` reissues). */
export function servingCertNames(certPem: string): ServingNames {
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromPem(certPem);
  } catch (err) {
    throw new CertError(`cannot parse certificate: ${(err as Error).message}`);
  }
  const commonName = cert.subject.getField("CN")?.value;
  const extension = cert.getExtension("subjectAltName") as { altNames?: AltName[] } | undefined;
  const dnsNames: string[] = [];
  const ips: string[] = [];
  for (const altName of extension?.altNames ?? []) {
    if (altName.type === ALT_NAME_DNS && typeof altName.value === "string") dnsNames.push(altName.value);
    if (altName.type === ALT_NAME_IP && typeof altName.ip === "string") ips.push(altName.ip);
  }
  return { commonName: typeof commonName === "string" ? commonName : (dnsNames[0] ?? ""), dnsNames, ips };
}

/** GeneralName tags (RFC 5280 §4.2.1.6) as node-forge numbers them. */
export const ALT_NAME_DNS = 2;
export const ALT_NAME_IP = 7;

interface AltName {
  readonly type: number;
  readonly value?: unknown;
  readonly ip?: unknown;
}
