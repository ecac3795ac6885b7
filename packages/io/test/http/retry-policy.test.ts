import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultRetryPolicy, isRetryableStatus, parseRetryAfter, retryDelay, type RetryPolicy } from "../../src/http/index.js";

const policy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, jitter: "equal", maxRetryAfterMs: 5000 };

describe("retryDelay", () => {
  it("doubles from the base and stops at the cap", () => {
    const top = (attempt: number) => retryDelay(attempt, policy, null, 0, () => 1);
    expect([1, 2, 3, 4, 5, 6].map(top)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it("keeps at least half the backoff with equal jitter, anything up to it with full jitter", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const exp = Math.min(1000, 100 * 2 ** (attempt - 1));
        const equal = retryDelay(attempt, policy, undefined, 0, () => r);
        const full = retryDelay(attempt, { ...policy, jitter: "full" }, undefined, 0, () => r);
        expect(equal).toBeGreaterThanOrEqual(Math.floor(exp / 2));
        expect(equal).toBeLessThanOrEqual(exp);
        expect(full).toBeGreaterThanOrEqual(0);
        expect(full).toBeLessThanOrEqual(exp);
      }),
    );
  });

  it("honours Retry-After in seconds and as a date, capped", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryDelay(1, policy, "2", now)).toBe(2000);
    expect(retryDelay(1, policy, "Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3000);
    expect(retryDelay(1, policy, "3600", now)).toBe(5000);
    expect(retryDelay(1, policy, "Wed, 31 Dec 2025 00:00:00 GMT", now)).toBe(0);
  });

  it("ignores an unusable Retry-After", () => {
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter("")).toBeUndefined();
    expect(parseRetryAfter("-1")).toBeUndefined();
    expect(retryDelay(2, policy, "soon", 0, () => 0)).toBe(100);
  });

  it("has sane defaults", () => {
    expect(defaultRetryPolicy).toMatchObject({ maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 10_000 });
    expect(Object.isFrozen(defaultRetryPolicy)).toBe(true);
  });
});

describe("isRetryableStatus", () => {
  it("retries 408, 429 and 5xx only", () => {
    const retried = [200, 301, 400, 401, 403, 404, 408, 409, 410, 429, 500, 502, 503, 504, 599].filter(isRetryableStatus);
    expect(retried).toEqual([408, 429, 500, 502, 503, 504, 599]);
  });
});
