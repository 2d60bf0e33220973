// The audit line: exactly one per review, with the fields operators search by, the patch at
// the configured level, and never a secret value.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { JsonObject } from "../../../webhook/core/index.ts";
import { JOB_UUID, auditLines, bareJob, jobReview, postReview, removeTempDirs, startTestWebhook } from "./helpers.ts";
import type { TestWebhook } from "./helpers.ts";

const SECRET = "tok-9f8e7d6c5b4a-literal-secret";

/**
 * A Job whose plugin adds a sidecar with a literal token and a secretKeyRef: the sidecar is
 * added whole, so its env is inside the patch, which is what the audit line must redact.
 */
function jobWithSecrets(): JsonObject {
  const sidecarEnv = [
    { name: "FOO_TOKEN", value: SECRET },
    { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db-credentials", key: "password" } } },
    { name: "PLAIN", value: "visible" },
  ];
  const job = bareJob({ env: [{ name: "FOO_TOKEN", value: SECRET }] });
  (job["metadata"] as JsonObject)["annotations"] = { "buildkite.com/kubernetes-plugin": JSON.stringify({ sidecars: [{ image: "redis:7", env: sidecarEnv }] }) };
  return job;
}

describe("webhook audit log", function () {
  this.timeout(30_000);
  after(removeTempDirs);

  describe("at the default levels", () => {
    let test: TestWebhook;
    before(async () => {
      test = await startTestWebhook();
    });
    after(() => test.webhook.close());

    it("writes one line with uid, namespace, generateName, job UUID, operation, dryRun, result, reason, duration, patch digest", async () => {
      const res = await postReview(test.webhook.url, jobReview({ uid: "uid-audit-1", dryRun: true }));
      const lines = auditLines(test.log).filter((l) => l["uid"] === "uid-audit-1");
      assert.equal(lines.length, 1);
      const line = lines[0]!;
      const patchBytes = Buffer.from((JSON.parse(res.text) as { response: { patch: string } }).response.patch, "base64");
      assert.equal(line["level"], 30);
      assert.equal(line["namespace"], "ci");
      assert.equal(line["generateName"], "buildkite-");
      assert.equal(line["jobUuid"], JOB_UUID);
      assert.equal(line["operation"], "CREATE");
      assert.equal(line["dryRun"], true);
      assert.equal(line["result"], "agentified");
      assert.equal(line["reason"], "agentified");
      assert.equal(line["httpStatus"], 200);
      assert.equal(typeof line["durationMs"], "number");
      assert.equal(line["patchSha256"], createHash("sha256").update(patchBytes).digest("hex"));
      const ops = JSON.parse(patchBytes.toString("utf8")) as unknown[];
      assert.equal(line["patchOps"], ops.length);
      assert.ok(Array.isArray(line["patch"]) && line["patch"].length === ops.length, "the full patch at info");
    });

    it("logs denials with the job UUID and the core's message", async () => {
      await postReview(test.webhook.url, jobReview({ uid: "uid-audit-2", object: bareJob({ containers: [] }) }));
      const [line] = auditLines(test.log).filter((l) => l["uid"] === "uid-audit-2");
      assert.equal(line?.["result"], "denied");
      assert.equal(line?.["reason"], "no-containers");
      assert.equal(line?.["jobUuid"], JOB_UUID);
      assert.match(String(line?.["detail"]), /containers is empty/);
    });

    it("logs transport errors at warn without a uid", async () => {
      await postReview(test.webhook.url, "{not json");
      const line = auditLines(test.log).at(-1);
      assert.equal(line?.["level"], 40);
      assert.equal(line?.["uid"], "");
      assert.equal(line?.["result"], "error");
      assert.equal(line?.["reason"], "invalid-json");
    });

    it("never writes a literal secret env value; a secretKeyRef shows as a reference", async () => {
      const before = test.log.raw.length;
      const res = await postReview(test.webhook.url, jobReview({ uid: "uid-audit-secret", object: jobWithSecrets() }));
      const patchText = Buffer.from((JSON.parse(res.text) as { response: { patch: string } }).response.patch, "base64").toString("utf8");
      const logText = test.log.raw.slice(before).join("");
      assert.ok(logText.includes("uid-audit-secret"));
      assert.ok(!logText.includes(SECRET), "the literal FOO_TOKEN value must not be logged");
      // Not vacuous: the patch itself (sent to the apiserver) does carry the value and the env names.
      assert.ok(patchText.includes(SECRET), "the answer's patch carries the env (else this test proves nothing)");
      assert.ok(logText.includes("FOO_TOKEN"));
      assert.ok(logText.includes("[REDACTED]"));
      assert.ok(logText.includes('"secretKeyRef":{"name":"db-credentials","key":"password"}'));
    });
  });

  describe("with --audit-level debug", () => {
    it("leaves the patch out while the logger is at info, keeping count and digest", async () => {
      const test = await startTestWebhook({ auditLevel: "debug" }, "info");
      try {
        await postReview(test.webhook.url, jobReview({ uid: "uid-audit-3" }));
        const [line] = auditLines(test.log);
        assert.equal(line?.["patch"], undefined);
        assert.equal(typeof line?.["patchOps"], "number");
        assert.match(String(line?.["patchSha256"]), /^[0-9a-f]{64}$/);
      } finally {
        await test.webhook.close();
      }
    });

    it("includes the patch when the logger is at debug", async () => {
      const test = await startTestWebhook({ auditLevel: "debug" }, "debug");
      try {
        await postReview(test.webhook.url, jobReview({ uid: "uid-audit-4" }));
        const lines = auditLines(test.log);
        assert.equal(lines.length, 1);
        assert.ok(Array.isArray(lines[0]?.["patch"]));
      } finally {
        await test.webhook.close();
      }
    });
  });
});
