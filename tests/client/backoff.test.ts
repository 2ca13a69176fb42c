// The delays between reconnection attempts: exponential, capped, fully jittered, pure.
import { describe, expect, it } from "vitest";
import { backoffDelay, DEFAULT_BACKOFF } from "../../src/client/backoff.ts";

describe("backoffDelay", () => {
  it("rfc6455#section-7.2.3 puts the first retry at a random point within 1 s by default", () => {
    for (const random of [0, 0.25, 0.5, 0.999]) {
      const delay = backoffDelay(1, random);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(1_000);
    }
    expect(backoffDelay(1, 0)).toBe(1_000);
    expect(backoffDelay(1, 0.5)).toBe(500);
  });

  it("doubles the ceiling per failure and caps it at 10 s by default", () => {
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, 0))).toEqual([
      1_000,
      2_000,
      4_000,
      8_000,
      10_000,
      10_000,
      10_000,
    ]);
    expect(DEFAULT_BACKOFF).toEqual({
      initialDelay: 1_000,
      factor: 2,
      maxDelay: 10_000,
      jitter: 1,
    });
  });

  it("takes its initial delay, factor, cap and jitter from options", () => {
    const options = { initialDelay: 100, factor: 3, maxDelay: 500, jitter: 0.5 };
    expect(backoffDelay(1, 0, options)).toBe(100);
    expect(backoffDelay(2, 0, options)).toBe(300);
    expect(backoffDelay(3, 0, options)).toBe(500);
    // jitter 0.5 with random 1 takes off at most half the ceiling
    expect(backoffDelay(3, 0.999999, options)).toBe(250);
    expect(backoffDelay(2, 0.7, { jitter: 0 })).toBe(2_000);
  });
});
