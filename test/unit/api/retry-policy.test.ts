// Pure parts of the client: retry delays, Retry-After parsing, path escaping, cropping.
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  cropFinishDetail, cropNotificationDetail, DEFAULT_RETRY_POLICY, escapePathSegment, FINISH_CROP_SUFFIX,
  parseRetryAfterMs, retryDelayMs,
} from "../../../dispatcher/api/index.ts";

describe("stacks client: retry policy and text limits", () => {
  it("uses Retry-After as is, otherwise doubling backoff capped and jittered", () => {
    const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000, jitterMs: 50 };
    assert.equal(retryDelayMs(1, 3000, policy, () => 0.99), 3000);
    assert.equal(retryDelayMs(1, 0, policy, () => 0.5), 1, "Retry-After: 0 still waits the minimum timer");
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, undefined, policy, () => 0)), [100, 200, 400, 800, 1000]);
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (attempt, r) => {
      const delay = retryDelayMs(attempt, undefined, policy, () => r);
      return delay >= 100 && delay <= 1050;
    }));
  });

  it("reads Retry-After as whole seconds, like the Go client", () => {
    assert.equal(parseRetryAfterMs("2"), 2000);
    assert.equal(parseRetryAfterMs(["3"]), 3000);
    assert.equal(parseRetryAfterMs(undefined), 0);
    assert.equal(parseRetryAfterMs("soon"), 0);
  });

  it("escapes path segments, dots included", () => {
    assert.equal(escapePathSegment("a.b/c d"), "a%2Eb%2Fc%20d");
    assert.equal(escapePathSegment("3b5e8a36-0000-4000-8000-000000000000"), "3b5e8a36-0000-4000-8000-000000000000");
  });

  it("crops finish detail to at most 4096 UTF-8 bytes without splitting characters", () => {
    // A long ASCII run puts the multi-byte tail on both sides of the 4096-byte cut.
    fc.assert(fc.property(fc.nat(4200), fc.string({ unit: "grapheme", maxLength: 300 }), (pad, tail) => {
      const text = "x".repeat(pad) + tail;
      const cropped = cropFinishDetail(text);
      if (Buffer.byteLength(text) <= 4096) return cropped === text;
      const kept = cropped.slice(0, -FINISH_CROP_SUFFIX.length);
      return Buffer.byteLength(cropped) <= 4096 && cropped.endsWith(FINISH_CROP_SUFFIX) && text.startsWith(kept) && !kept.includes("\uFFFD");
    }));
  });

  it("crops notification detail to at most 256 characters", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 600 }), (text) => {
      const cropped = cropNotificationDetail(text);
      return [...cropped].length <= 256 && (text.length <= 256 ? cropped === text : cropped.endsWith("… (cropped)"));
    }));
  });
});
