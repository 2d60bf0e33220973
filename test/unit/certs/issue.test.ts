import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import {
  CertError, CLOCK_SKEW_MS, generateCa, issueServingCert, keyMatchesCert, randomSerial, servingCertNames,
} from "../../../certs/index.ts";
import { NAMESPACE, SERVICE, SVC_DNS, sharedPairs } from "./helpers.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const DAY_MS = 24 * 60 * 60 * 1000;

describe("certs: generateCa / issueServingCert", () => {
  it("makes a CA: self-signed, cA=true, keyCertSign, default name", () => {
    const { ca } = sharedPairs();
    const cert = new X509Certificate(ca.cert);
    assert.equal(cert.ca, true);
    assert.equal(cert.subject, "CN=agentify-webhook-ca");
    assert.equal(cert.issuer, cert.subject);
    assert.ok(cert.checkIssued(cert));
    assert.ok(cert.verify(cert.publicKey));
    assert.equal(cert.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    assert.ok(keyMatchesCert(ca.cert, ca.key));
  });

  it("covers the four Service names plus the given IPs and DNS names", () => {
    const ca = sharedPairs().ca;
    const serving = issueServingCert(ca, {
      service: SERVICE, namespace: NAMESPACE, ips: ["127.0.0.1", "::1"], dnsNames: ["webhook.example.test"],
    });
    const cert = new X509Certificate(serving.cert);
    assert.equal(cert.subjectAltName, [
      `DNS:${SERVICE}`, `DNS:${SERVICE}.${NAMESPACE}`, `DNS:${SVC_DNS}`, `DNS:${SVC_DNS}.cluster.local`,
      "DNS:webhook.example.test", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
    ].join(", "));
    assert.equal(cert.subject, `CN=${SVC_DNS}`);
    assert.equal(cert.checkHost(SVC_DNS), SVC_DNS);
    assert.equal(cert.checkIP("127.0.0.1"), "127.0.0.1");
    assert.equal(cert.checkHost("other.agentify-system.svc"), undefined);
  });

  it("is a leaf for serverAuth, and its chain verifies against the CA", () => {
    const { ca, serving } = sharedPairs();
    const caCert = new X509Certificate(ca.cert);
    const cert = new X509Certificate(serving.cert);
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, [SERVER_AUTH]);
    assert.ok(cert.checkIssued(caCert));
    assert.ok(cert.verify(caCert.publicKey));
    assert.equal(cert.verify(cert.publicKey), false);
    assert.ok(keyMatchesCert(serving.cert, serving.key));
    assert.equal(keyMatchesCert(serving.cert, ca.key), false);
  });

  it("a cert from another CA does not verify against this one", () => {
    const { ca } = sharedPairs();
    const otherCa = generateCa({ commonName: "someone-else" });
    const foreign = new X509Certificate(issueServingCert(otherCa, { service: SERVICE, namespace: NAMESPACE }).cert);
    const caCert = new X509Certificate(ca.cert);
    assert.equal(foreign.checkIssued(caCert), false);
    assert.equal(foreign.verify(caCert.publicKey), false);
  });

  it("backdates notBefore by the clock-skew margin and ends after `days`", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ca = generateCa({ now, days: 30 });
    const serving = issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE, days: 7, now });
    const cert = new X509Certificate(serving.cert);
    assert.equal(new Date(cert.validFrom).getTime(), now.getTime() - CLOCK_SKEW_MS);
    assert.equal(new Date(cert.validTo).getTime(), now.getTime() + 7 * DAY_MS);
  });

  it("never lets the serving cert outlive its CA", () => {
    const now = new Date("2030-01-01T00:00:00Z");
    const ca = generateCa({ now, days: 10 });
    const cert = new X509Certificate(issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE, days: 365, now }).cert);
    assert.equal(cert.validTo, new X509Certificate(ca.cert).validTo);
  });

  it("uses random positive 128-bit serials", () => {
    const serials = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const serial = randomSerial();
      assert.match(serial, /^[0-7][0-9a-f]{31}$/);
      assert.notEqual(serial.slice(0, 2), "00");
      serials.add(serial);
    }
    assert.equal(serials.size, 200);
    const { ca, serving } = sharedPairs();
    assert.notEqual(new X509Certificate(ca.cert).serialNumber, new X509Certificate(serving.cert).serialNumber);
  });

  it("reads the names back for rotation", () => {
    const names = servingCertNames(sharedPairs().serving.cert);
    assert.deepEqual(names, {
      commonName: SVC_DNS,
      dnsNames: [SERVICE, `${SERVICE}.${NAMESPACE}`, SVC_DNS, `${SVC_DNS}.cluster.local`],
      ips: ["127.0.0.1"],
    });
  });

  it("rejects bad names, IPs, lifetimes and a CA whose key does not match", () => {
    const { ca, serving } = sharedPairs();
    const cases: Array<[() => unknown, string]> = [
      [() => issueServingCert(ca, { service: "Bad_Name", namespace: NAMESPACE }), 'invalid service name "Bad_Name": expected a DNS label such as agentify-webhook'],
      [() => issueServingCert(ca, { service: SERVICE, namespace: "" }), 'invalid namespace "": expected a DNS label such as agentify-system'],
      [() => issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE, ips: ["300.1.1.1"] }), 'invalid IP address "300.1.1.1"'],
      [() => issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE, dnsNames: ["a..b"] }), 'invalid DNS name "a..b"'],
      [() => issueServingCert(ca, { service: SERVICE, namespace: NAMESPACE, days: 0 }), "validity must be a positive number of days, got 0"],
      [() => generateCa({ days: Number.NaN }), "validity must be a positive number of days, got NaN"],
      [() => issueServingCert({ cert: ca.cert, key: serving.key }, { service: SERVICE, namespace: NAMESPACE }), "the CA key does not match the CA certificate"],
    ];
    for (const [call, message] of cases) {
      assert.throws(call, (err: unknown) => err instanceof CertError && err.message === message);
    }
  });
});
