// The HTTPS listener's routes, as express matched them before: the path only, any case, one
// trailing slash, HEAD as GET; anything else is 404, and a non-POST review 405.
import assert from "node:assert/strict";
import { routePath } from "../../../webhook/server/app.ts";
import { jobReview, removeTempDirs, send, startTestWebhook } from "./helpers.ts";
import type { TestWebhook } from "./helpers.ts";

describe("webhook routes", function () {
  this.timeout(30_000);
  let test: TestWebhook;
  before(async () => {
    test = await startTestWebhook();
  });
  after(async () => {
    await test.webhook.close();
    removeTempDirs();
  });

  it("reduces a URL to its lower-case path without query or one trailing slash", () => {
    assert.equal(routePath("/mutate/jobs?timeout=10s"), "/mutate/jobs");
    assert.equal(routePath("/Mutate/Jobs/"), "/mutate/jobs");
    assert.equal(routePath("/"), "/");
    assert.equal(routePath(undefined), "/");
  });

  it("answers reviews at /MUTATE/jobs/ too", async () => {
    const res = await send(test.webhook.url, JSON.stringify(jobReview()), { path: "/MUTATE/jobs/?timeout=10s" });
    assert.equal(res.status, 200);
    assert.match(res.text, /"patchType":"JSONPatch"/);
  });

  it("answers HEAD /healthz and /readyz like GET, without a body", async () => {
    for (const path of ["/healthz", "/readyz/"]) {
      const res = await send(test.webhook.url, undefined, { method: "HEAD", path, contentType: null });
      assert.equal(res.status, 200);
      assert.equal(res.text, "");
      assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
    }
  });

  it("calls afterFirstReview once, after the first review is answered", async () => {
    let calls = 0;
    const once = await startTestWebhook({ afterFirstReview: () => void calls++ });
    try {
      for (let i = 0; i < 3; i++) await send(once.webhook.url, JSON.stringify(jobReview()), { path: "/mutate/jobs" });
      assert.equal(calls, 1);
    } finally {
      await once.webhook.close();
    }
  });

  it("refuses other methods: 405 with Allow on the review path, 404 elsewhere", async () => {
    const put = await send(test.webhook.url, "{}", { method: "PUT", path: "/mutate/jobs" });
    assert.equal(put.status, 405);
    assert.equal(put.headers["allow"], "POST");
    assert.equal(put.text, "method not allowed\n");
    const post = await send(test.webhook.url, "{}", { method: "POST", path: "/healthz" });
    assert.equal(post.status, 404);
    assert.equal(post.text, "not found\n");
  });
});
