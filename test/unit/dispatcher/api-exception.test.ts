// The apiserver error the lean Kubernetes client throws: what classification reads (code, body,
// headers) and a message that says what failed without the whole body.
import assert from "node:assert/strict";
import { classifyCreateError } from "../../../dispatcher/job/create-errors.ts";
import { ApiException } from "../../../dispatcher/kube/http.ts";

describe("dispatcher ApiException", () => {
  it("keeps the status, body and headers, and names the call and the Status message", () => {
    const body = JSON.stringify({ kind: "Status", status: "Failure", code: 409, reason: "AlreadyExists", message: "jobs.batch \"buildkite-x\" already exists" });
    const err = new ApiException(409, "POST /apis/batch/v1/namespaces/ns/jobs", body, { "content-type": "application/json" });
    assert.equal(err.code, 409);
    assert.equal(err.body, body);
    assert.deepEqual(err.headers, { "content-type": "application/json" });
    assert.equal(err.name, "ApiException");
    assert.equal(err.message, "POST /apis/batch/v1/namespaces/ns/jobs: HTTP 409: jobs.batch \"buildkite-x\" already exists");
    assert.equal(classifyCreateError(err).kind, "exists");
  });

  it("crops a body that is not a Status", () => {
    const err = new ApiException(502, "GET /api/v1/namespaces/ns/pods", `<html>${"x".repeat(1000)}</html>`);
    assert.ok(err.message.startsWith("GET /api/v1/namespaces/ns/pods: HTTP 502: <html>xxx"));
    assert.ok(err.message.length < 400);
    assert.deepEqual(err.headers, {});
  });
});
