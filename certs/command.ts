// `agentify certs …`: create the webhook's CA and serving cert, renew the serving cert
// from the same CA, and print the caBundle for the MutatingWebhookConfiguration; the in-cluster
// subcommands (a Secret instead of a directory) are in cluster-command.ts.
import { X509Certificate } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { InvalidArgumentError, type Command } from "commander";
import { parseDays, run, write } from "./cli.ts";
import { registerClusterCerts } from "./cluster-command.ts";
import { CertError } from "./errors.ts";
import {
  DEFAULT_CA_DAYS, DEFAULT_SERVING_DAYS, generateCa, issueForNames, issueServingCert,
} from "./issue.ts";
import { isDnsName, isIpAddress, servingCertNames } from "./names.ts";
import {
  caBundle, checkDir, readCertDir, writeCertDir, CA_KEY_FILE, TLS_CERT_FILE,
} from "./files.ts";

interface GenerateOptions {
  service: string;
  namespace: string;
  ip?: string[];
  dns?: string[];
  days: number;
  caDays: number;
  outDir: string;
  force?: boolean;
}
interface RotateOptions {
  outDir: string;
  days: number;
}
interface CaBundleOptions {
  outDir: string;
}

export function registerCerts(program: Command): Command {
  const certs = program
    .command("certs")
    .description("Create and renew the webhook's TLS certificates (a private CA and the serving cert it signs)");

  certs
    .command("generate")
    .description("Create a new CA and a serving certificate for the webhook Service; writes ca.crt, ca.key, tls.crt and tls.key (keys mode 0600)")
    .requiredOption("--service <name>", "name of the webhook Service; the cert covers NAME, NAME.NS, NAME.NS.svc and NAME.NS.svc.cluster.local")
    .requiredOption("--namespace <ns>", "namespace of the webhook Service")
    .option("--ip <address>", "also cover this IP address, e.g. 127.0.0.1 for a webhook run outside the cluster (repeatable)", collect(parseIp))
    .option("--dns <name>", "also cover this DNS name (repeatable)", collect(parseDnsName))
    .option("--days <n>", "serving certificate lifetime in days", parseDays, DEFAULT_SERVING_DAYS)
    .option("--ca-days <n>", "CA certificate lifetime in days", parseDays, DEFAULT_CA_DAYS)
    .requiredOption("--out-dir <dir>", "directory to write the files into (created if missing)")
    .option("--force", "replace a CA already in --out-dir (the caBundle must then be updated too)")
    .action((opts: GenerateOptions, cmd: Command) => run(cmd, () => generate(cmd, opts)));

  certs
    .command("rotate")
    .description("Issue a new serving certificate from the CA in --out-dir, with the same names as the current tls.crt; the caBundle stays valid and running webhooks reload it without a restart")
    .requiredOption("--out-dir <dir>", "directory holding ca.crt, ca.key and tls.crt (from `certs generate`)")
    .option("--days <n>", "new serving certificate lifetime in days", parseDays, DEFAULT_SERVING_DAYS)
    .action((opts: RotateOptions, cmd: Command) => run(cmd, () => rotate(cmd, opts)));

  certs
    .command("ca-bundle")
    .description("Print the base64 of ca.crt on one line, for the MutatingWebhookConfiguration's clientConfig.caBundle")
    .requiredOption("--out-dir <dir>", "directory holding ca.crt")
    .action((opts: CaBundleOptions, cmd: Command) => run(cmd, () => write(cmd, `${caBundle(opts.outDir)}\n`)));

  registerClusterCerts(certs);
  return certs;
}

function generate(cmd: Command, opts: GenerateOptions): void {
  if (!opts.force && existsSync(join(opts.outDir, CA_KEY_FILE))) {
    throw new CertError(`${opts.outDir} already holds a CA (${CA_KEY_FILE}); use \`agentify certs rotate\` to renew the serving cert, or --force to replace the CA`);
  }
  const now = new Date();
  const ca = generateCa({ days: opts.caDays, now });
  const serving = issueServingCert(ca, {
    service: opts.service, namespace: opts.namespace, ips: opts.ip ?? [], dnsNames: opts.dns ?? [], days: opts.days, now,
  });
  writeCertDir(opts.outDir, { ca, serving });
  write(cmd, `wrote ca.crt, ca.key, tls.crt and tls.key to ${opts.outDir}; ${describe(serving.cert)}\n`);
}

function rotate(cmd: Command, opts: RotateOptions): void {
  checkDir(opts.outDir);
  const { ca, serving: current } = readCertDir(opts.outDir);
  if (!ca) throw new CertError(`${opts.outDir} has no ca.crt and ca.key to sign with; run \`agentify certs generate\` first`);
  if (!current) throw new CertError(`${opts.outDir} has no tls.crt and tls.key to renew; run \`agentify certs generate\` first`);
  const serving = issueForNames(ca, servingCertNames(current.cert), opts.days, new Date());
  writeCertDir(opts.outDir, { serving });
  write(cmd, `rotated ${join(opts.outDir, TLS_CERT_FILE)}; ${describe(serving.cert)}\n`);
}

function describe(certPem: string): string {
  const cert = new X509Certificate(certPem);
  return `serial ${cert.serialNumber.toLowerCase()}, valid until ${new Date(cert.validTo).toISOString()}`;
}

function parseIp(value: string): string {
  if (!isIpAddress(value)) throw new InvalidArgumentError("Expected an IPv4 or IPv6 address.");
  return value;
}

function parseDnsName(value: string): string {
  if (!isDnsName(value)) throw new InvalidArgumentError("Expected a lower-case DNS name.");
  return value;
}

/** A repeatable option: each use is checked by `parse` and appended. */
function collect(parse: (value: string) => string): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => [...(previous ?? []), parse(value)];
}
