// The webhook's certificates: a private CA, serving certs it signs, and the directory
// layout (ca.crt, ca.key, tls.crt, tls.key) shared with kubernetes.io/tls Secrets.
export { CertError } from "./errors.ts";
export {
  generateCa, issueServingCert, issueForNames, randomSerial,
  DEFAULT_CA_COMMON_NAME, DEFAULT_CA_DAYS, DEFAULT_SERVING_DAYS, CLOCK_SKEW_MS,
  type CaPair, type ServingPair, type CaOptions, type ServingCertOptions,
} from "./issue.ts";
export { serviceDnsNames, servingCertNames, type ServingNames } from "./names.ts";
export { keyMatchesCert } from "./keys.ts";
export {
  writeCertDir, readCertDir, loadServingPair, caBundle,
  CA_CERT_FILE, CA_KEY_FILE, TLS_CERT_FILE, TLS_KEY_FILE, type CertDirContents,
} from "./files.ts";
