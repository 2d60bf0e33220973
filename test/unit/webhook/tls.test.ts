// TLS: minimum version, and serving certificate reload without restart: a Secret-volume swap
// under continuous load (10 rotations, zero failed requests, the new certificate served),
// polling for changes a directory watch cannot see, and broken pairs that must not be installed.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { writeFileSync } from "node:fs";
import { Agent } from "node:https";
import { join } from "node:path";
import { connect } from "node:tls";
import type { SecureVersion } from "node:tls";
import { setTimeout as sleep } from "node:timers/promises";
import { writeCertDir } from "../../../certs/index.ts";
import { SecretVolume } from "./fixtures/secret-volume.ts";
import { decodeAnswer, jobReview, postReview, removeTempDirs, servingPair, startTestWebhook, tempDir, testCa } from "./helpers.ts";
import type { TestWebhook } from "./helpers.ts";

function serialOf(certPem: string): string {
  return new X509Certificate(certPem).serialNumber.toUpperCase();
}

/** Completes a TLS handshake limited to `maxVersion`; resolves the negotiated protocol. */
function handshake(port: number, maxVersion: SecureVersion): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, ca: testCa().cert, minVersion: "TLSv1.2", maxVersion }, () => {
      resolve(socket.getProtocol() ?? "");
      socket.end();
    });
    socket.on("error", reject);
  });
}

/** Polls with fresh connections until the server presents `serial`. */
async function waitForSerial(url: string, serial: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await postReview(url, jobReview({ operation: "UPDATE" }));
    if (res.peerSerial === serial) return;
    if (Date.now() > deadline) throw new Error(`server still presents ${res.peerSerial}, expected ${serial}`);
    await sleep(20);
  }
}

function servingFiles(): { files: Record<string, string>; serial: string } {
  const pair = servingPair();
  return { files: { "tls.crt": pair.cert, "tls.key": pair.key }, serial: serialOf(pair.cert) };
}

describe("webhook TLS", function () {
  this.timeout(60_000);
  after(removeTempDirs);

  describe("minimum version", () => {
    it("accepts TLS 1.2 and 1.3 by default", async () => {
      const test = await startTestWebhook();
      try {
        assert.equal(await handshake(test.webhook.port, "TLSv1.2"), "TLSv1.2");
        assert.equal(await handshake(test.webhook.port, "TLSv1.3"), "TLSv1.3");
      } finally {
        await test.webhook.close();
      }
    });

    it("refuses TLS 1.2 with tlsMinVersion TLSv1.3, also after a reload", async () => {
      const test = await startTestWebhook({ tlsMinVersion: "TLSv1.3" });
      try {
        await assert.rejects(handshake(test.webhook.port, "TLSv1.2"), /protocol version|alert/i);
        assert.equal(await handshake(test.webhook.port, "TLSv1.3"), "TLSv1.3");
        writeCertDir(test.certDir, { serving: servingPair() });
        assert.equal(test.webhook.reloadCertificates(), true);
        await assert.rejects(handshake(test.webhook.port, "TLSv1.2"), /protocol version|alert/i);
      } finally {
        await test.webhook.close();
      }
    });
  });

  describe("certificate rotation", () => {
    it("rotates 10 times through Secret-volume swaps under continuous load: no failed request, new cert served", async () => {
      const first = servingFiles();
      const volume = new SecretVolume(tempDir("agentify-secret-volume-"), first.files);
      // Poll far apart: the directory watch alone has to notice the ..data swap.
      const test: TestWebhook = await startTestWebhook({ certDir: volume.dir, certPollIntervalMs: 60_000 });
      const failures: string[] = [];
      const serialsSeen = new Set<string>();
      let answered = 0;
      let running = true;
      const keepAlive = new Agent({ keepAlive: true, ca: testCa().cert });
      const worker = async (agent: Agent | false): Promise<void> => {
        while (running) {
          try {
            const res = await postReview(test.webhook.url, jobReview(), { agent });
            const answer = decodeAnswer(res);
            if (res.status !== 200 || !answer.response.allowed || answer.response.patchType !== "JSONPatch") failures.push(`bad answer ${res.status} ${res.text.slice(0, 200)}`);
            serialsSeen.add(res.peerSerial);
            answered++;
          } catch (err) {
            failures.push(String(err));
          }
        }
      };
      try {
        await waitForSerial(test.webhook.url, first.serial, 1000);
        const workers = [worker(false), worker(false), worker(false), worker(keepAlive)];
        const serials = [first.serial];
        for (let i = 0; i < 10; i++) {
          const next = servingFiles();
          volume.update(next.files);
          await waitForSerial(test.webhook.url, next.serial, 5000);
          serials.push(next.serial);
          await sleep(50);
        }
        running = false;
        await Promise.all(workers);
        assert.deepEqual(failures, []);
        assert.ok(answered > 50, `only ${answered} requests were sent`);
        assert.equal(test.webhook.servingCertificate().serialNumber.toUpperCase(), serials.at(-1));
        for (const serial of serials.slice(1)) assert.ok(serialsSeen.has(serial), `load saw ${serial}`);
        const text = await (await fetch(test.webhook.metricsUrl)).text();
        assert.match(text, /agentify_webhook_cert_reloads_total\{result="success"\} 10\n/);
        assert.match(text, /agentify_webhook_cert_reloads_total\{result="failure"\} 0\n/);
        assert.equal(test.log.lines.filter((l) => l["msg"] === "serving certificate reloaded").length, 10);
      } finally {
        running = false;
        keepAlive.destroy();
        await test.webhook.close();
      }
    });

    it("picks up writeCertDir rotations (renames of tls.key, then tls.crt) through the watch", async () => {
      const test = await startTestWebhook({ certPollIntervalMs: 60_000 });
      try {
        for (let i = 0; i < 3; i++) {
          const pair = servingPair();
          writeCertDir(test.certDir, { serving: pair });
          await waitForSerial(test.webhook.url, serialOf(pair.cert), 5000);
        }
        assert.equal(test.log.lines.filter((l) => l["level"] === 50).length, 0, "no error logged for a rotation in progress");
      } finally {
        await test.webhook.close();
      }
    });

    it("polls for changes the directory watch cannot see", async () => {
      const first = servingFiles();
      const volume = new SecretVolume(tempDir("agentify-secret-volume-"), first.files);
      const test = await startTestWebhook({ certDir: volume.dir, certPollIntervalMs: 200 });
      try {
        const next = servingFiles();
        // Files inside ..<ts>/ are not entries of the watched directory: only the poll sees this.
        volume.overwriteInPlace("tls.key", next.files["tls.key"]!);
        volume.overwriteInPlace("tls.crt", next.files["tls.crt"]!);
        await waitForSerial(test.webhook.url, next.serial, 5000);
      } finally {
        await test.webhook.close();
      }
    });

    it("keeps the pair in use when the new one is broken, logs one error, then takes the next good one", async () => {
      const test = await startTestWebhook({ certPollIntervalMs: 60_000 });
      const oldSerial = test.webhook.servingCertificate().serialNumber.toUpperCase();
      try {
        // A key that belongs to another certificate.
        writeFileSync(join(test.certDir, "tls.key"), servingPair().key);
        await sleep(500);
        assert.equal(test.webhook.reloadCertificates(), false);
        const ok = await postReview(test.webhook.url, jobReview());
        assert.equal(ok.status, 200);
        assert.equal(ok.peerSerial, oldSerial);
        const errors = test.log.lines.filter((l) => l["msg"] === "new serving certificate rejected; keeping the one in use");
        assert.equal(errors.length, 1);
        assert.match(String((errors[0]?.["err"] as { message?: string })?.message), /tls\.key does not match tls\.crt/);

        writeFileSync(join(test.certDir, "tls.crt"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        await sleep(500);
        assert.equal(test.webhook.reloadCertificates(), false);
        assert.equal((await postReview(test.webhook.url, jobReview())).peerSerial, oldSerial);

        const good = servingPair();
        writeCertDir(test.certDir, { serving: good });
        await waitForSerial(test.webhook.url, serialOf(good.cert), 5000);
        const text = await (await fetch(test.webhook.metricsUrl)).text();
        assert.match(text, /agentify_webhook_cert_reloads_total\{result="failure"\} 2\n/);
        assert.match(text, /agentify_webhook_cert_reloads_total\{result="success"\} 1\n/);
      } finally {
        await test.webhook.close();
      }
    });

    it("refuses to start without a valid pair", async () => {
      const dir = tempDir();
      await assert.rejects(startTestWebhook({ certDir: dir }), /ENOENT|tls\.crt/);
      writeFileSync(join(dir, "tls.crt"), servingPair().cert);
      writeFileSync(join(dir, "tls.key"), servingPair().key);
      await assert.rejects(startTestWebhook({ certDir: dir }), /tls\.key does not match tls\.crt/);
    });
  });
});
