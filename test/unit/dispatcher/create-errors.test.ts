import { expect } from "chai";
import { classifyCreateError, createRetryDelayMs } from "../../../dispatcher/job/create-errors.ts";
import { ApiException } from "../../../dispatcher/kube/http.ts";

function apiError(code: number, reason: string, message: string, headers: Record<string, string> = {}): ApiException<string> {
  return new ApiException(code, "Unknown API Status Code!", JSON.stringify({ kind: "Status", status: "Failure", code, reason, message }), headers);
}

describe("dispatcher create failure classification", () => {
  it("treats AlreadyExists as already dispatched", () => {
    expect(classifyCreateError(apiError(409, "AlreadyExists", 'jobs.batch "x" already exists')).kind).to.equal("exists");
  });

  it("rejects Invalid, webhook denials, bad requests and oversize bodies", () => {
    const invalid = classifyCreateError(apiError(422, "Invalid", 'Job.batch "x" is invalid: spec.template.spec.containers[0].image: Required value'));
    expect(invalid).to.include({ kind: "rejected", reason: "invalid" });
    const denied = classifyCreateError(apiError(400, "BadRequest", 'admission webhook "jobs.agentify.buildkite.com" denied the request: annotation x: bad'));
    expect(denied).to.include({ kind: "rejected", reason: "webhook-denied" });
    expect(classifyCreateError(apiError(403, "Forbidden", 'admission webhook "w" denied the request: no'))).to.include({ reason: "webhook-denied" });
    expect(classifyCreateError(apiError(400, "BadRequest", "bad"))).to.include({ kind: "rejected", reason: "bad-request" });
    expect(classifyCreateError(apiError(413, "RequestEntityTooLarge", "too big"))).to.include({ kind: "rejected", reason: "too-large" });
  });

  it("retries an unreachable webhook, 5xx, 429 (with Retry-After), RBAC, quota and network errors", () => {
    const down = classifyCreateError(apiError(500, "InternalError", 'Internal error occurred: failed calling webhook "w": failed to call webhook: Post "https://127.0.0.1:1/mutate/jobs?timeout=10s": dial tcp 127.0.0.1:1: connect: connection refused'));
    expect(down).to.include({ kind: "transient", reason: "webhook-unavailable" });
    const throttled = classifyCreateError(apiError(429, "TooManyRequests", "slow down", { "retry-after": "3" }));
    expect(throttled).to.include({ kind: "transient", reason: "throttled", retryAfterMs: 3000 });
    expect(classifyCreateError(apiError(503, "ServiceUnavailable", "x"))).to.include({ kind: "transient", reason: "server-error" });
    expect(classifyCreateError(apiError(403, "Forbidden", 'jobs.batch is forbidden: User "x" cannot create resource'))).to.include({ kind: "transient", reason: "forbidden" });
    expect(classifyCreateError(apiError(404, "NotFound", 'namespaces "ci" not found'))).to.include({ kind: "transient", reason: "not-found" });
    const network = classifyCreateError(Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }) }));
    expect(network).to.include({ kind: "transient", reason: "network" });
    expect(network.message).to.equal("fetch failed: ECONNREFUSED connect ECONNREFUSED 127.0.0.1:1");
  });

  it("backs off exponentially with jitter, capped, and Retry-After wins", () => {
    expect(createRetryDelayMs(1, 0, () => 0.5)).to.equal(250);
    expect(createRetryDelayMs(3, 0, () => 0.5)).to.equal(1000);
    expect(createRetryDelayMs(30, 0, () => 0.5)).to.equal(10_000);
    expect(createRetryDelayMs(1, 0, () => 0)).to.equal(200);
    expect(createRetryDelayMs(5, 2000, () => 0.5)).to.equal(2000);
  });
});
