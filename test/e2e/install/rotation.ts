// Certificate rotation in the installed cluster, as manifests/README.md tells users to do it:
// `agentify certs rotate` (same CA, so the caBundle stays), then the Secret updated with
// `kubectl apply`. The kubelet refreshes the mounted Secret, each webhook pod reloads it without a
// restart, and not one admission fails while Jobs are being created.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:tls";
import { expect } from "chai";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { eventually } from "../support/wait.ts";
import { agentifyCli, DISPATCHER_NS, WEBHOOK_NS } from "./install.ts";
import type { Installation } from "./install.ts";
import { startAdmissionLoad } from "./load.ts";
import type { LoadResult } from "./load.ts";

/** SHA-256 fingerprint of the certificate a pod serves on its HTTPS port (dialled at its pod IP). */
export function servedFingerprint(podIp: string, port = 8443): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: podIp, port, servername: `agentify-webhook.${WEBHOOK_NS}.svc`, rejectUnauthorized: false, timeout: 5000 }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fingerprint);
    });
    socket.on("error", reject);
    socket.on("timeout", () => socket.destroy(new Error(`no TLS answer from ${podIp}:${port}`)));
  });
}

export async function webhookPodIps(i: Installation): Promise<{ name: string; ip: string }[]> {
  const list = await i.api.get(`/api/v1/namespaces/${WEBHOOK_NS}/pods?labelSelector=app.kubernetes.io/name%3Dagentify-webhook`);
  return (list["items"] as JsonObject[])
    .filter((p) => (p["metadata"] as JsonObject)["deletionTimestamp"] === undefined)
    .map((p) => ({ name: String((p["metadata"] as JsonObject)["name"]), ip: String((p["status"] as JsonObject)["podIP"] ?? "") }));
}

export function describeRotation(installation: () => Installation): void {
  describe("certificate rotation in the cluster", function () {
    this.timeout(300_000);

    it("every webhook pod serves the rotated certificate without a restart, and no admission fails meanwhile", async () => {
      const i = installation();
      const fingerprint = (): string => new X509Certificate(readFileSync(join(i.certDir, "tls.crt"))).fingerprint256;
      const before = fingerprint();
      const pods = await webhookPodIps(i);
      expect(pods).to.have.length(2);
      for (const p of pods) expect(await servedFingerprint(p.ip), p.name).to.equal(before);

      const load = startAdmissionLoad(i.api, DISPATCHER_NS);
      let result: LoadResult;
      try {
        await agentifyCli(["certs", "rotate", "--out-dir", i.certDir]);
        const after = fingerprint();
        expect(after).to.not.equal(before);
        const secret = await i.kubectl(["-n", WEBHOOK_NS, "create", "secret", "tls", "agentify-webhook-tls",
          `--cert=${join(i.certDir, "tls.crt")}`, `--key=${join(i.certDir, "tls.key")}`, "--dry-run=client", "-o", "yaml"]);
        await i.kubectl(["apply", "-f", "-"], secret);
        const t0 = Date.now();
        await eventually("both webhook pods serving the rotated certificate", async () => {
          const served = await Promise.all(pods.map((p) => servedFingerprint(p.ip)));
          return served.every((f) => f === after) ? true : undefined;
        }, 180_000, 1000);
        console.log(`        both pods served the new certificate ${Date.now() - t0} ms after the Secret update`);
        // A few more seconds of load on the new certificate alone.
        const seen = load.admitted();
        await eventually("more admissions after the reload", async () => (load.admitted() >= seen + 20 ? true : undefined), 60_000, 200);
      } finally {
        result = await load.stop();
      }
      console.log(`        ${result.admitted} admissions in ${result.ms} ms, ${result.failures.length} failed`);
      expect(result.failures).to.deep.equal([]);
      expect(result.admitted).to.be.greaterThan(20);
      // Same pods, no restarts: the reload happened in the running processes.
      const list = await i.api.get(`/api/v1/namespaces/${WEBHOOK_NS}/pods?labelSelector=app.kubernetes.io/name%3Dagentify-webhook`);
      const restarts = (list["items"] as JsonObject[]).map((p) =>
        ((p["status"] as JsonObject)["containerStatuses"] as { restartCount: number }[])[0]?.restartCount);
      expect((await webhookPodIps(i)).map((p) => p.name).sort()).to.deep.equal(pods.map((p) => p.name).sort());
      expect(restarts).to.deep.equal([0, 0]);
    });
  });
}
