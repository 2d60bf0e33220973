// The stand-in's sliding-window limiter, on a clock the test sets: what RateLimit-Remaining and
// RateLimit-Reset (and Retry-After when denied) are built from.
import assert from "node:assert/strict";
import { SlidingWindowLimiter } from "../../standin/rate-limiter.ts";

describe("stand-in rate limiter", () => {
  it("resets in 1 s after a first request, whatever the clock reads", () => {
    // At 3096.1 ms, (now + 1000) - now is 1000.0000000000005 in floating point: ceil gave 2 s.
    for (const now of [0, 3096.1, 123_456.789, 98_765_432.1]) {
      const limiter = new SlidingWindowLimiter({}, () => now);
      const decision = limiter.check("list-scheduled-jobs", "stack");
      assert.deepEqual(
        { allowed: decision?.allowed, remaining: decision?.remaining, resetSeconds: decision?.resetSeconds },
        { allowed: true, remaining: 9, resetSeconds: 1 },
        `clock at ${now} ms`,
      );
    }
  });

  it("denies the request past the limit until the oldest one leaves the window", () => {
    let now = 3096.1;
    const limiter = new SlidingWindowLimiter({ "list-scheduled-jobs": 2 }, () => now);
    limiter.check("list-scheduled-jobs", "stack");
    now += 400;
    limiter.check("list-scheduled-jobs", "stack");
    const denied = limiter.check("list-scheduled-jobs", "stack");
    assert.deepEqual([denied?.allowed, denied?.remaining, denied?.resetSeconds, denied?.current], [false, 0, 1, 3]);
    now = 3096.1 + 999.999;
    assert.equal(limiter.check("list-scheduled-jobs", "stack")?.allowed, false, "the first request is still in the window");
    now = 3096.1 + 1000;
    assert.equal(limiter.check("list-scheduled-jobs", "stack")?.allowed, true, "a request 1 s old has left it");
  });

  it("counts each stack on its own, and nothing when limits are off", () => {
    const limiter = new SlidingWindowLimiter({ "list-scheduled-jobs": 1 }, () => 5000);
    assert.equal(limiter.check("list-scheduled-jobs", "a")?.allowed, true);
    assert.equal(limiter.check("list-scheduled-jobs", "b")?.allowed, true);
    assert.equal(limiter.check("list-scheduled-jobs", "a")?.allowed, false);
    limiter.configure(false);
    assert.equal(limiter.check("list-scheduled-jobs", "a"), null);
  });
});
