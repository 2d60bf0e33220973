// ensureSecret and injectCaBundle against a fake apiserver through the lean client: what they
// write (nothing when the Secret is kept), what they keep, and the exact error for every refusal.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { ensureSecret, injectCaBundle, TLS_SECRET_TYPE, type EnsureSecretOptions } from "../../../certs/cluster.ts";
import { CertError } from "../../../certs/errors.ts";
import { generateCa, issueServingCert } from "../../../certs/index.ts";
import { KubeHttp } from "../../../dispatcher/kube/http.ts";
import { FakeApiserver, type StoredObject } from "./fake-apiserver.ts";
import { NAMESPACE, SERVICE } from "./helpers.ts";

const SECRET = "agentify-webhook-selfmanaged-tls";
const MWC = "agentify";
const SECRET_PATH = `/api/v1/namespaces/${NAMESPACE}/secrets/${SECRET}`;
const MWC_PATH = `/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/${MWC}`;
const DAY = 86_400_000;
const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
const unb64 = (text: string | undefined): string => Buffer.from(text ?? "", "base64").toString("utf8");

const ENSURE: EnsureSecretOptions = { namespace: NAMESPACE, secret: SECRET, service: SERVICE, renewBeforeDays: 30, days: 365, caDays: 3650 };

async function rejects(promise: Promise<unknown>, message: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CertError, String(err));
    assert.equal(err.message, message);
    return true;
  });
}

describe("certs: ensure-secret and inject-ca-bundle against an apiserver", function () {
  this.timeout(30_000);
  let api: FakeApiserver;
  let kube: KubeHttp;

  beforeEach(async () => {
    api = new FakeApiserver();
    kube = new KubeHttp({ server: await api.start(), insecureSkipTlsVerify: false, token: () => "t" });
  });
  afterEach(async () => {
    kube.close();
    await api.stop();
  });

  const stored = (): StoredObject => {
    const secret = api.secrets.get(`${NAMESPACE}/${SECRET}`);
    assert.ok(secret, "the Secret exists");
    return secret;
  };
  const webhookConfiguration = (caBundle?: string): StoredObject => ({
    apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", metadata: { name: MWC },
    webhooks: [{ name: "jobs.agentify.buildkite.com", clientConfig: { service: { name: SERVICE }, ...(caBundle ? { caBundle } : {}) } }],
  });

  it("creates the Secret with a CA, a serving pair and the labels; prints serials, never a key", async () => {
    const line = await ensureSecret(kube, { ...ENSURE, labels: { "app.kubernetes.io/instance": "ci" } });
    const secret = stored();
    assert.equal(secret.type, TLS_SECRET_TYPE);
    assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    assert.deepEqual(secret.metadata.labels, { "app.kubernetes.io/instance": "ci" });
    const ca = new X509Certificate(unb64(secret.data?.["ca.crt"]));
    const tls = new X509Certificate(unb64(secret.data?.["tls.crt"]));
    assert.ok(tls.verify(ca.publicKey));
    const serial = (c: X509Certificate): string => `serial ${c.serialNumber.toLowerCase()}, valid until ${new Date(c.validTo).toISOString()}`;
    assert.equal(line, `created Secret ${NAMESPACE}/${SECRET} with a new CA (${serial(ca)}) and serving certificate (${serial(tls)}): the Secret does not exist`);
    assert.doesNotMatch(line, /PRIVATE KEY|BEGIN/);
    assert.deepEqual(api.calls, [`GET ${SECRET_PATH}`, `POST /api/v1/namespaces/${NAMESPACE}/secrets`]);
  });

  it("keeps a valid Secret without writing", async () => {
    await ensureSecret(kube, ENSURE);
    const before = stored();
    api.calls.length = 0;
    const line = await ensureSecret(kube, ENSURE);
    assert.match(line, new RegExp(`^kept Secret ${NAMESPACE}/${SECRET}: tls.crt is valid until \\S+Z, more than 30 days from now$`));
    assert.deepEqual(api.calls, [`GET ${SECRET_PATH}`]);
    assert.deepEqual(stored(), before);
  });

  it("re-issues a serving cert near its end from the same CA, keeping labels and owners", async () => {
    const ca = generateCa();
    const old = issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE, days: 10 });
    const owner = { apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", name: MWC, uid: "u-1" };
    api.putSecret(NAMESPACE, {
      apiVersion: "v1", kind: "Secret", type: TLS_SECRET_TYPE,
      metadata: { name: SECRET, labels: { team: "ci" }, ownerReferences: [owner] },
      data: { "ca.crt": b64(ca.cert), "ca.key": b64(ca.key), "tls.crt": b64(old.cert), "tls.key": b64(old.key) },
    });
    const line = await ensureSecret(kube, ENSURE);
    const secret = stored();
    assert.equal(unb64(secret.data?.["ca.crt"]), ca.cert);
    assert.equal(unb64(secret.data?.["ca.key"]), ca.key);
    assert.notEqual(unb64(secret.data?.["tls.key"]), old.key);
    const tls = new X509Certificate(unb64(secret.data?.["tls.crt"]));
    assert.ok(new Date(tls.validTo).getTime() > Date.now() + 364 * DAY);
    assert.deepEqual(secret.metadata.labels, { team: "ci" });
    assert.deepEqual(secret.metadata.ownerReferences, [owner]);
    const oldEnd = new Date(new X509Certificate(old.cert).validTo).toISOString();
    assert.match(line, new RegExp(`^updated Secret ${NAMESPACE}/${SECRET} with a serving certificate from the same CA \\(serial [0-9a-f]+, valid until \\S+Z\\): tls.crt expires on ${oldEnd}, within 30 days$`));
    assert.deepEqual(api.calls, [`GET ${SECRET_PATH}`, `PUT ${SECRET_PATH}`]);
  });

  it("refuses a Secret of another type, bad thresholds and every apiserver refusal, naming the object", async () => {
    const ref = `Secret ${NAMESPACE}/${SECRET}`;
    await rejects(ensureSecret(kube, { ...ENSURE, renewBeforeDays: 365 }), "--renew-before-days (365) must be less than --days (365), or every run would re-issue");
    await rejects(ensureSecret(kube, { ...ENSURE, days: 30, renewBeforeDays: 20, caDays: 20 }), "--renew-before-days (20) must be less than --ca-days (20), or every run would replace the CA");
    api.failures.set(`GET ${SECRET_PATH}`, { status: 403, reason: "Forbidden", message: `secrets "${SECRET}" is forbidden: User "system:serviceaccount:${NAMESPACE}:certs" cannot get resource "secrets"` });
    await rejects(ensureSecret(kube, ENSURE), `cannot read ${ref}: HTTP 403: secrets "${SECRET}" is forbidden: User "system:serviceaccount:${NAMESPACE}:certs" cannot get resource "secrets"`);
    api.failures.clear();
    api.failures.set(`POST /api/v1/namespaces/${NAMESPACE}/secrets`, { status: 409, reason: "AlreadyExists", message: `secrets "${SECRET}" already exists` });
    await rejects(ensureSecret(kube, ENSURE), `cannot create ${ref}: HTTP 409: secrets "${SECRET}" already exists`);
    api.failures.clear();
    api.putSecret(NAMESPACE, { type: "Opaque", metadata: { name: SECRET }, data: {} });
    await rejects(ensureSecret(kube, ENSURE), `${ref} has type Opaque, not kubernetes.io/tls; delete it and run again to have it created`);
    api.putSecret(NAMESPACE, { type: TLS_SECRET_TYPE, metadata: { name: SECRET }, data: {} });
    api.failures.set(`PUT ${SECRET_PATH}`, { status: 422, reason: "Invalid", message: "Secret is invalid" });
    await rejects(ensureSecret(kube, ENSURE), `cannot update ${ref}: HTTP 422: Secret is invalid`);
  });

  it("reports an apiserver it cannot reach", async () => {
    const closed = new KubeHttp({ server: "http://127.0.0.1:1", insecureSkipTlsVerify: false });
    try {
      await rejects(ensureSecret(closed, ENSURE), `cannot read Secret ${NAMESPACE}/${SECRET}: GET ${SECRET_PATH}: connect ECONNREFUSED 127.0.0.1:1`);
    } finally {
      closed.close();
    }
  });

  it("inject-ca-bundle sets the caBundle by strategic merge and makes the configuration the Secret's owner, once", async () => {
    await ensureSecret(kube, ENSURE);
    api.putWebhookConfiguration(webhookConfiguration());
    api.calls.length = 0;
    const line = await injectCaBundle(kube, { namespace: NAMESPACE, secret: SECRET, webhookConfiguration: MWC });
    const caPem = unb64(stored().data?.["ca.crt"]);
    const ca = new X509Certificate(caPem);
    const describe = `serial ${ca.serialNumber.toLowerCase()}, valid until ${new Date(ca.validTo).toISOString()}`;
    assert.equal(line, `set the caBundle of MutatingWebhookConfiguration ${MWC} (jobs.agentify.buildkite.com) to the CA of Secret ${NAMESPACE}/${SECRET} (${describe}); Secret ${NAMESPACE}/${SECRET} is now owned by it`);
    const mwc = api.webhookConfigurations.get(MWC);
    assert.equal(mwc?.webhooks?.[0]?.clientConfig?.caBundle, b64(caPem));
    assert.deepEqual(mwc?.webhooks?.[0]?.clientConfig?.service, { name: SERVICE });
    assert.deepEqual(api.patchTypes, ["application/strategic-merge-patch+json"]);
    assert.deepEqual(stored().metadata.ownerReferences, [{ apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", name: MWC, uid: `uid-${MWC}` }]);
    assert.deepEqual(api.calls, [`GET ${SECRET_PATH}`, `GET ${MWC_PATH}`, `PUT ${SECRET_PATH}`, `PATCH ${MWC_PATH}`]);

    api.calls.length = 0;
    const again = await injectCaBundle(kube, { namespace: NAMESPACE, secret: SECRET, webhookConfiguration: MWC });
    assert.equal(again, `caBundle of MutatingWebhookConfiguration ${MWC} already holds the CA of Secret ${NAMESPACE}/${SECRET} (${describe})`);
    assert.deepEqual(api.calls, [`GET ${SECRET_PATH}`, `GET ${MWC_PATH}`]);
  });

  it("inject-ca-bundle names what is missing or refused", async () => {
    const opts = { namespace: NAMESPACE, secret: SECRET, webhookConfiguration: MWC };
    const ref = `Secret ${NAMESPACE}/${SECRET}`;
    await rejects(injectCaBundle(kube, opts), `${ref} does not exist; \`agentify certs ensure-secret\` creates it`);
    api.putSecret(NAMESPACE, { type: TLS_SECRET_TYPE, metadata: { name: SECRET }, data: { "tls.crt": b64("x") } });
    await rejects(injectCaBundle(kube, opts), `${ref} has no ca.crt`);
    api.putSecret(NAMESPACE, { type: TLS_SECRET_TYPE, metadata: { name: SECRET }, data: { "ca.crt": b64("garbage") } });
    await rejects(injectCaBundle(kube, opts), `${ref}: ca.crt is not a PEM certificate`);
    await ensureSecret(kube, { ...ENSURE, secret: "fresh" });
    const fresh = { ...opts, secret: "fresh" };
    await rejects(injectCaBundle(kube, fresh), `MutatingWebhookConfiguration ${MWC} does not exist`);
    api.putWebhookConfiguration({ metadata: { name: MWC }, webhooks: [] });
    await rejects(injectCaBundle(kube, fresh), `MutatingWebhookConfiguration ${MWC} has no webhooks`);
    api.putWebhookConfiguration(webhookConfiguration());
    api.failures.set(`PUT /api/v1/namespaces/${NAMESPACE}/secrets/fresh`, { status: 403, reason: "Forbidden", message: "cannot set ownerReferences" });
    await rejects(injectCaBundle(kube, fresh), `cannot make MutatingWebhookConfiguration ${MWC} the owner of Secret ${NAMESPACE}/fresh: HTTP 403: cannot set ownerReferences`);
    api.failures.clear();
    api.failures.set(`PATCH ${MWC_PATH}`, { status: 403, reason: "Forbidden", message: "cannot patch" });
    await rejects(injectCaBundle(kube, fresh), `cannot patch the caBundle of MutatingWebhookConfiguration ${MWC}: HTTP 403: cannot patch`);
  });
});
