// planSecret: keep, re-issue from the same CA, or create a new CA, for every state a
// self-managed Secret can be in, with the exact reason; issuePlanned's output is kept next time.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { generateCa, issueServingCert, servingCertNames, type CaPair } from "../../../certs/index.ts";
import { CertError } from "../../../certs/errors.ts";
import { issuePlanned, planSecret, type TlsContents } from "../../../certs/plan.ts";
import { NAMESPACE, SERVICE, SVC_DNS } from "./helpers.ts";

const DAY = 86_400_000;
const NOW = new Date("2031-03-01T12:00:00.000Z");
const daysFrom = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY);
const plan = (current: TlsContents | undefined, renewBeforeDays = 30) =>
  planSecret(current, { service: SERVICE, namespace: NAMESPACE, renewBeforeDays, now: NOW });
const isoAt = (pem: string): string => new Date(new X509Certificate(pem).validTo).toISOString();

function contents(ca: CaPair, servingDays = 365, issuedAt = NOW, service = SERVICE): Required<TlsContents> {
  const serving = issueServingCert(ca, { service, namespace: NAMESPACE, days: servingDays, now: issuedAt });
  return { caCert: ca.cert, caKey: ca.key, tlsCert: serving.cert, tlsKey: serving.key };
}

describe("certs: planSecret and issuePlanned", function () {
  this.timeout(30_000);
  const ca = generateCa({ now: NOW });
  const otherCa = generateCa({ now: NOW });
  const good = contents(ca);

  it("keeps a Secret whose CA and serving cert are valid beyond the threshold", () => {
    assert.deepEqual(plan(good), { action: "keep", why: `tls.crt is valid until ${isoAt(good.tlsCert)}, more than 30 days from now` });
  });

  it("creates a CA and pair when there is no Secret, or its CA is missing or unusable", () => {
    const notCa = issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE, now: NOW });
    const cases: Array<[TlsContents | undefined, string]> = [
      [undefined, "the Secret does not exist"],
      [{}, "the Secret has no ca.crt and ca.key"],
      [{ ...good, caKey: undefined }, "the Secret has no ca.crt and ca.key"],
      [{ ...good, caCert: "not a certificate" }, "ca.crt is not a PEM certificate"],
      [{ ...good, caKey: "not a key" }, "ca.key is not a PEM private key"],
      [{ ...good, caKey: otherCa.key }, "ca.key does not match ca.crt"],
      [{ ...good, caCert: notCa.cert, caKey: notCa.key }, "ca.crt is not a CA certificate"],
    ];
    for (const [current, why] of cases) assert.deepEqual(plan(current), { action: "create", why }, why);
  });

  it("creates a new CA when the CA expires within the threshold, has expired, or is not valid yet", () => {
    const ending = generateCa({ days: 20, now: NOW });
    const ended = generateCa({ days: 1, now: daysFrom(NOW, -3) });
    const future = generateCa({ now: daysFrom(NOW, 2) });
    assert.deepEqual(plan(contents(ending, 10)), { action: "create", why: `ca.crt expires on ${isoAt(ending.cert)}, within 30 days` });
    assert.deepEqual(plan(contents(ended)), { action: "create", why: `ca.crt expired on ${isoAt(ended.cert)}` });
    const notBefore = new Date(new X509Certificate(future.cert).validFrom).toISOString();
    assert.deepEqual(plan(contents(future)), { action: "create", why: `ca.crt is not valid before ${notBefore}` });
  });

  it("re-issues from the same CA when the serving cert is missing, unusable, foreign, for other names or near its end", () => {
    const foreign = contents(otherCa);
    const otherService = contents(ca, 365, NOW, "other-webhook");
    const ending = contents(ca, 10);
    const cases: Array<[TlsContents, string]> = [
      [{ ...good, tlsCert: undefined }, "the Secret has no tls.crt and tls.key"],
      [{ ...good, tlsKey: undefined }, "the Secret has no tls.crt and tls.key"],
      [{ ...good, tlsCert: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" }, "tls.crt is not a PEM certificate"],
      [{ ...good, tlsKey: foreign.tlsKey }, "tls.key does not match tls.crt"],
      [{ ...good, tlsCert: foreign.tlsCert, tlsKey: foreign.tlsKey }, "tls.crt is not signed by ca.crt"],
      [{ ...good, tlsCert: otherService.tlsCert, tlsKey: otherService.tlsKey },
        `tls.crt does not cover ${SERVICE}, ${SERVICE}.${NAMESPACE}, ${SVC_DNS}, ${SVC_DNS}.cluster.local`],
      [ending, `tls.crt expires on ${isoAt(ending.tlsCert)}, within 30 days`],
    ];
    for (const [current, why] of cases) assert.deepEqual(plan(current), { action: "reissue", why }, why);
    // The threshold is the caller's: ten days left is fine with a 7-day threshold.
    assert.equal(plan(ending, 7).action, "keep");
  });

  it("refuses bad names and thresholds with a CertError", () => {
    const bad: Array<[() => unknown, string]> = [
      [() => planSecret(good, { service: SERVICE, namespace: "Bad_NS", renewBeforeDays: 30, now: NOW }), 'invalid namespace "Bad_NS": expected a DNS label such as agentify-system'],
      [() => planSecret(good, { service: "", namespace: NAMESPACE, renewBeforeDays: 30, now: NOW }), 'invalid service name "": expected a DNS label such as agentify-webhook'],
      [() => plan(good, 0), "renew-before must be a positive number of days, got 0"],
      [() => issuePlanned({ action: "keep", why: "" }, good, { service: SERVICE, namespace: NAMESPACE, days: 365, caDays: 3650, now: NOW }), "nothing to issue: the Secret is kept"],
      [() => issuePlanned({ action: "reissue", why: "" }, {}, { service: SERVICE, namespace: NAMESPACE, days: 365, caDays: 3650, now: NOW }), "cannot re-issue without the CA in the Secret"],
    ];
    for (const [fn, message] of bad) assert.throws(fn, (err: unknown) => err instanceof CertError && err.message === message, message);
  });

  it("re-issue keeps the CA byte for byte and signs a new pair for the Service's names", () => {
    const ending = contents(ca, 10);
    const next = issuePlanned(plan(ending), ending, { service: SERVICE, namespace: NAMESPACE, days: 90, caDays: 3650, now: NOW });
    assert.equal(next.caCert, ca.cert);
    assert.equal(next.caKey, ca.key);
    assert.notEqual(next.tlsKey, ending.tlsKey);
    const cert = new X509Certificate(next.tlsCert);
    assert.ok(cert.verify(new X509Certificate(ca.cert).publicKey));
    assert.equal(new Date(cert.validTo).getTime(), daysFrom(NOW, 90).getTime());
    assert.deepEqual(servingCertNames(next.tlsCert).dnsNames, [SERVICE, `${SERVICE}.${NAMESPACE}`, SVC_DNS, `${SVC_DNS}.cluster.local`]);
    assert.equal(plan(next).action, "keep");
  });

  it("create makes a new CA of --ca-days, and what it issues is kept next time", () => {
    const next = issuePlanned(plan(undefined), undefined, { service: SERVICE, namespace: NAMESPACE, days: 365, caDays: 400, now: NOW });
    assert.notEqual(next.caCert, ca.cert);
    assert.equal(new Date(new X509Certificate(next.caCert).validTo).getTime(), daysFrom(NOW, 400).getTime());
    assert.deepEqual(plan(next), { action: "keep", why: `tls.crt is valid until ${isoAt(next.tlsCert)}, more than 30 days from now` });
  });
});
