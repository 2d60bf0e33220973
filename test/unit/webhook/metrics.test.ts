// /metrics on the plain-HTTP port, and /healthz and /readyz on the HTTPS port.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DenialReason } from "../../../webhook/core/index.ts";
import { agentifyCore } from "../../../webhook/server/server.ts";
import { jobReview, postReview, removeTempDirs, send, startTestWebhook } from "./helpers.ts";
import type { TestWebhook } from "./helpers.ts";

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  return res.text();
}

/** The value of one sample line, e.g. `name{a="b"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe("webhook metrics and health", function () {
  this.timeout(30_000);
  let test: TestWebhook;
  before(async () => {
    test = await startTestWebhook();
  });
  after(async () => {
    await test.webhook.close();
    removeTempDirs();
  });

  it("starts every known (result, reason) counter at 0 and exports the cert expiry", async () => {
    const text = await scrape(test.webhook.metricsUrl);
    assert.equal(sample(text, 'agentify_webhook_admissions_total{result="agentified",reason="agentified"}'), 0);
    assert.equal(sample(text, 'agentify_webhook_admissions_total{result="denied",reason="invalid-uuid"}'), 0);
    assert.equal(sample(text, 'agentify_webhook_admissions_total{result="error",reason="too-large"}'), 0);
    assert.equal(sample(text, 'agentify_webhook_cert_reloads_total{result="success"}'), 0);
    assert.equal(sample(text, "agentify_webhook_admissions_in_flight"), 0);
    const notAfter = new X509Certificate(readFileSync(join(test.certDir, "tls.crt"))).validTo;
    assert.equal(sample(text, "agentify_webhook_cert_expiry_timestamp_seconds"), new Date(notAfter).getTime() / 1000);
    assert.ok(text.includes("process_resident_memory_bytes"), "default process metrics");
  });

  it("counts reviews by result and reason and observes their duration", async () => {
    await postReview(test.webhook.url, jobReview());
    await postReview(test.webhook.url, jobReview());
    await postReview(test.webhook.url, jobReview({ operation: "UPDATE" }));
    await postReview(test.webhook.url, "nope");
    const text = await scrape(test.webhook.metricsUrl);
    assert.equal(sample(text, 'agentify_webhook_admissions_total{result="agentified",reason="agentified"}'), 2);
    assert.equal(sample(text, 'agentify_webhook_admissions_total{result="unchanged",reason="not-create"}'), 1);
    assert.equal(sample(text, 'agentify_webhook_admissions_total{result="error",reason="invalid-json"}'), 1);
    assert.equal(sample(text, 'agentify_webhook_admission_duration_seconds_count{result="agentified"}'), 2);
    assert.equal(sample(text, 'agentify_webhook_admission_duration_seconds_bucket{le="10",result="agentified"}'), 2);
  });

  it("folds a reason outside the known set into \"other\" (bounded labels)", async () => {
    const odd = await startTestWebhook({
      core: { ...agentifyCore, tryAgentify: () => ({ result: "denied", reason: "from-the-future" as DenialReason, message: "no" }) },
    });
    try {
      await postReview(odd.webhook.url, jobReview());
      const text = await scrape(odd.webhook.metricsUrl);
      assert.equal(sample(text, 'agentify_webhook_admissions_total{result="denied",reason="other"}'), 1);
      assert.ok(!text.includes("from-the-future"));
    } finally {
      await odd.webhook.close();
    }
  });

  it("shows reviews in flight", async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = await startTestWebhook({ beforeAdmit: () => held });
    try {
      const pending = postReview(slow.webhook.url, jobReview());
      await sleep(200);
      assert.equal(sample(await scrape(slow.webhook.metricsUrl), "agentify_webhook_admissions_in_flight"), 1);
      release();
      await pending;
      assert.equal(sample(await scrape(slow.webhook.metricsUrl), "agentify_webhook_admissions_in_flight"), 0);
    } finally {
      await slow.webhook.close();
    }
  });

  it("serves only /metrics on the metrics port", async () => {
    const res = await fetch(test.webhook.metricsUrl.replace("/metrics", "/healthz"));
    assert.equal(res.status, 404);
  });

  it("/healthz and /readyz answer ok on the HTTPS port", async () => {
    const health = await send(test.webhook.url, undefined, { method: "GET", path: "/healthz", contentType: null });
    assert.equal(health.status, 200);
    assert.equal(health.text, "ok\n");
    const ready = await send(test.webhook.url, undefined, { method: "GET", path: "/readyz", contentType: null });
    assert.equal(ready.status, 200);
    assert.equal(ready.text, "ok\n");
  });

  it("/readyz turns 503 as soon as shutdown starts, while reviews are still answered", async () => {
    const closing = await startTestWebhook();
    const done = closing.webhook.shutdown({ delayMs: 400 });
    const ready = await send(closing.webhook.url, undefined, { method: "GET", path: "/readyz", contentType: null });
    assert.equal(ready.status, 503);
    assert.equal(ready.text, "not ready: shutting down\n");
    const health = await send(closing.webhook.url, undefined, { method: "GET", path: "/healthz", contentType: null });
    assert.equal(health.status, 200);
    const review = await postReview(closing.webhook.url, jobReview({ operation: "UPDATE" }));
    assert.equal(review.status, 200);
    assert.deepEqual(await done, { clean: true });
    await assert.rejects(send(closing.webhook.url, undefined, { method: "GET", path: "/healthz", contentType: null }), /ECONNREFUSED/);
  });
});
