// The self-managed certificates in a cluster: ensureSecret keeps the webhook's kubernetes.io/tls
// Secret valid (planSecret decides; nothing is written when it is kept), injectCaBundle copies
// its ca.crt into a MutatingWebhookConfiguration and makes that configuration the Secret's owner,
// so the garbage collector deletes the Secret with it (helm uninstall). Every failure is a
// CertError that names the object and the apiserver's answer; no key material is ever printed.
import { CertError } from "./errors.ts";
import { describeCert, issuePlanned, planSecret, type TlsContents } from "./plan.ts";

/** The one call the lean Kubernetes client offers (dispatcher/kube/http.ts), faked in tests. */
export interface KubeRequester {
  request<T>(method: string, path: string, opts?: { body?: unknown; contentType?: string }): Promise<T>;
}

interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

interface SecretJson {
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string>; ownerReferences?: OwnerReference[] };
  type?: string;
  data?: Record<string, string>;
}

interface WebhookConfigurationJson {
  metadata: { name: string; uid: string };
  webhooks?: { name: string; clientConfig?: { caBundle?: string } }[];
}

export interface EnsureSecretOptions {
  namespace: string;
  secret: string;
  service: string;
  renewBeforeDays: number;
  days: number;
  caDays: number;
  /** Labels for a Secret this call creates (an existing Secret keeps its own). */
  labels?: Record<string, string>;
  now?: Date;
}

export interface InjectOptions {
  namespace: string;
  secret: string;
  webhookConfiguration: string;
}

export const TLS_SECRET_TYPE = "kubernetes.io/tls";
const KEYS = { caCert: "ca.crt", caKey: "ca.key", tlsCert: "tls.crt", tlsKey: "tls.key" } as const;
const WEBHOOK_API = "admissionregistration.k8s.io/v1";

/** Returns one line saying what was done and why. */
export async function ensureSecret(kube: KubeRequester, opts: EnsureSecretOptions): Promise<string> {
  if (!(opts.renewBeforeDays < opts.days)) throw new CertError(`--renew-before-days (${opts.renewBeforeDays}) must be less than --days (${opts.days}), or every run would re-issue`);
  if (!(opts.renewBeforeDays < opts.caDays)) throw new CertError(`--renew-before-days (${opts.renewBeforeDays}) must be less than --ca-days (${opts.caDays}), or every run would replace the CA`);
  const now = opts.now ?? new Date();
  const ref = `Secret ${opts.namespace}/${opts.secret}`;
  const existing = await getOrUndefined<SecretJson>(kube, secretPath(opts.namespace, opts.secret), `read ${ref}`);
  if (existing && existing.type !== TLS_SECRET_TYPE) {
    throw new CertError(`${ref} has type ${existing.type ?? "(none)"}, not ${TLS_SECRET_TYPE}; delete it and run again to have it created`);
  }
  const current = existing ? contentsOf(existing) : undefined;
  const plan = planSecret(current, { service: opts.service, namespace: opts.namespace, renewBeforeDays: opts.renewBeforeDays, now });
  if (plan.action === "keep") return `kept ${ref}: ${plan.why}`;

  const issued = issuePlanned(plan, current, { service: opts.service, namespace: opts.namespace, days: opts.days, caDays: opts.caDays, now });
  const data = Object.fromEntries(Object.entries(KEYS).map(([field, key]) => [key, Buffer.from(issued[field as keyof TlsContents] ?? "", "utf8").toString("base64")]));
  if (existing) {
    const body: SecretJson = { ...existing, data };
    await call(kube, "PUT", secretPath(opts.namespace, opts.secret), `update ${ref}`, { body });
  } else {
    const body = {
      apiVersion: "v1", kind: "Secret", type: TLS_SECRET_TYPE, data,
      metadata: { name: opts.secret, namespace: opts.namespace, ...(opts.labels && Object.keys(opts.labels).length > 0 ? { labels: opts.labels } : {}) },
    };
    await call(kube, "POST", `/api/v1/namespaces/${encodeURIComponent(opts.namespace)}/secrets`, `create ${ref}`, { body });
  }
  const verb = existing ? "updated" : "created";
  const what = plan.action === "create" ? `a new CA (${describeCert(issued.caCert)}) and serving certificate` : "a serving certificate from the same CA";
  return `${verb} ${ref} with ${what} (${describeCert(issued.tlsCert)}): ${plan.why}`;
}

/** Returns one line saying what was done. */
export async function injectCaBundle(kube: KubeRequester, opts: InjectOptions): Promise<string> {
  const ref = `Secret ${opts.namespace}/${opts.secret}`;
  const mwcRef = `MutatingWebhookConfiguration ${opts.webhookConfiguration}`;
  const secret = await getOrUndefined<SecretJson>(kube, secretPath(opts.namespace, opts.secret), `read ${ref}`);
  if (!secret) throw new CertError(`${ref} does not exist; \`agentify certs ensure-secret\` creates it`);
  const caCert = contentsOf(secret).caCert;
  if (caCert === undefined) throw new CertError(`${ref} has no ca.crt`);
  let caDescription: string;
  try {
    caDescription = describeCert(caCert);
  } catch {
    throw new CertError(`${ref}: ca.crt is not a PEM certificate`);
  }
  const mwcPath = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${encodeURIComponent(opts.webhookConfiguration)}`;
  const mwc = await getOrUndefined<WebhookConfigurationJson>(kube, mwcPath, `read ${mwcRef}`);
  if (!mwc) throw new CertError(`${mwcRef} does not exist`);
  const webhooks = mwc.webhooks ?? [];
  if (webhooks.length === 0) throw new CertError(`${mwcRef} has no webhooks`);

  const owned = (secret.metadata.ownerReferences ?? []).some((o) => o.uid === mwc.metadata.uid);
  if (!owned) {
    const owner: OwnerReference = { apiVersion: WEBHOOK_API, kind: "MutatingWebhookConfiguration", name: mwc.metadata.name, uid: mwc.metadata.uid };
    const body: SecretJson = { ...secret, metadata: { ...secret.metadata, ownerReferences: [...(secret.metadata.ownerReferences ?? []), owner] } };
    await call(kube, "PUT", secretPath(opts.namespace, opts.secret), `make ${mwcRef} the owner of ${ref}`, { body });
  }

  const bundle = Buffer.from(caCert, "utf8").toString("base64");
  const stale = webhooks.filter((w) => w.clientConfig?.caBundle !== bundle);
  const ownerNote = owned ? "" : `; ${ref} is now owned by it`;
  if (stale.length === 0) return `caBundle of ${mwcRef} already holds the CA of ${ref} (${caDescription})${ownerNote}`;
  // Strategic merge by webhook name: only each entry's caBundle changes.
  const patch = { webhooks: stale.map((w) => ({ name: w.name, clientConfig: { caBundle: bundle } })) };
  await call(kube, "PATCH", mwcPath, `patch the caBundle of ${mwcRef}`, { body: patch, contentType: "application/strategic-merge-patch+json" });
  return `set the caBundle of ${mwcRef} (${stale.map((w) => w.name).join(", ")}) to the CA of ${ref} (${caDescription})${ownerNote}`;
}

function secretPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`;
}

function contentsOf(secret: SecretJson): TlsContents {
  const data = secret.data ?? {};
  const out: Record<string, string> = {};
  for (const [field, key] of Object.entries(KEYS)) {
    const value = data[key];
    if (value !== undefined && value !== "") out[field] = Buffer.from(value, "base64").toString("utf8");
  }
  return out;
}

async function getOrUndefined<T>(kube: KubeRequester, path: string, what: string): Promise<T | undefined> {
  try {
    return await kube.request<T>("GET", path);
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw apiError(what, err);
  }
}

async function call(kube: KubeRequester, method: string, path: string, what: string, opts: { body: unknown; contentType?: string }): Promise<void> {
  try {
    await kube.request<unknown>(method, path, opts);
  } catch (err) {
    throw apiError(what, err);
  }
}

/** The ApiException's HTTP status (dispatcher/kube/http.ts), else undefined. */
function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" && err instanceof Error && "body" in err ? code : undefined;
}

function apiError(what: string, err: unknown): CertError {
  const status = statusCode(err);
  if (status === undefined) return new CertError(`cannot ${what}: ${err instanceof Error ? err.message : String(err)}`);
  const body = (err as { body?: unknown }).body;
  let message = typeof body === "string" ? body.slice(0, 300) : "";
  try {
    const parsed = JSON.parse(String(body)) as { message?: unknown };
    if (typeof parsed.message === "string") message = parsed.message;
  } catch {
    // not a Status object: keep the text
  }
  return new CertError(`cannot ${what}: HTTP ${status}${message ? `: ${message}` : ""}`);
}
