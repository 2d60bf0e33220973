// Pure parts of the retry decision: Retry-After as a wait (seconds or an HTTP-date), and
// when a failed attempt is tried again.
import assert from "node:assert/strict";
import { DEFAULT_RETRY_POLICY } from "../../../dispatcher/api/index.ts";
import { nextAttemptDelayMs, retryAfterWaitMs } from "../../../dispatcher/api/retry.ts";
import type { FailedAttempt } from "../../../dispatcher/api/retry.ts";

const NOW = Date.parse("2025-03-04T05:06:07Z");
const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000, jitterMs: 0, maxRetryAfterMs: 5000 };
const failed = (over: Partial<FailedAttempt>): FailedAttempt => ({ attempt: 1, maxAttempts: 5, status: undefined, code: undefined, retryAfterMs: undefined, ...over });

describe("stacks client: retry decision", () => {
  it("reads Retry-After as seconds or as an HTTP-date in any of its three forms", () => {
    assert.equal(retryAfterWaitMs("3", NOW), 3000);
    assert.equal(retryAfterWaitMs(["2"], NOW), 2000);
    assert.equal(retryAfterWaitMs("Tue, 04 Mar 2025 05:06:09 GMT", NOW), 2000);
    assert.equal(retryAfterWaitMs("Tuesday, 04-Mar-25 05:06:10 GMT", NOW), 3000);
    assert.equal(retryAfterWaitMs("Tue Mar  4 05:06:11 2025", NOW), 4000, "asctime has no zone and means UTC");
    assert.equal(retryAfterWaitMs("Tue, 04 Mar 2025 05:00:00 GMT", NOW), 0, "a date already past: no wait");
  });

  it("ignores a Retry-After that is neither form", () => {
    for (const value of [undefined, "soon", "1.5", "-1", "", " 3"]) assert.equal(retryAfterWaitMs(value, NOW), undefined, String(value));
  });

  it("retries retryable statuses and codes while attempts remain, with backoff", () => {
    assert.equal(nextAttemptDelayMs(failed({ status: 503 }), policy, () => 0), 100);
    assert.equal(nextAttemptDelayMs(failed({ attempt: 3, code: "ECONNRESET" }), policy, () => 0), 400);
    assert.equal(nextAttemptDelayMs(failed({ attempt: 5, status: 503 }), policy, () => 0), 0, "no attempts left");
    assert.equal(nextAttemptDelayMs(failed({ status: 404 }), policy, () => 0), 0);
    assert.equal(nextAttemptDelayMs(failed({ code: "ERR_BODY_PARSE_FAILURE" }), policy, () => 0), 0);
    assert.equal(nextAttemptDelayMs(failed({ status: 503, code: "ERR_READING_RESPONSE_STREAM" }), policy, () => 0), 100, "a 5xx whose body failed is retried on its status");
  });

  it("waits an answer's Retry-After instead of the backoff, unless it is longer than allowed", () => {
    assert.equal(nextAttemptDelayMs(failed({ status: 429, retryAfterMs: 3000 }), policy, () => 0.9), 3000);
    assert.equal(nextAttemptDelayMs(failed({ status: 429, retryAfterMs: 0 }), policy, () => 0), 1, "Retry-After 0: the shortest timer");
    assert.equal(nextAttemptDelayMs(failed({ status: 429, retryAfterMs: 6000 }), policy, () => 0), 0);
    assert.equal(nextAttemptDelayMs(failed({ code: "ETIMEDOUT", retryAfterMs: 6000 }), policy, () => 0), 100, "no answer: no Retry-After");
  });

  it("does not retry a 413 on a transport code, nor a wait past what a timer can hold", () => {
    assert.equal(nextAttemptDelayMs(failed({ status: 413, code: "ECONNRESET" }), policy, () => 0), 0);
    const patient = { ...policy, maxRetryAfterMs: Number.POSITIVE_INFINITY };
    assert.equal(nextAttemptDelayMs(failed({ status: 503, retryAfterMs: 2 ** 31 }), patient, () => 0), 0);
  });
});
