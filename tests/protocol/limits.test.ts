// resolveLimits: the defaults filled in and every limit checked; a server's one limits object is
// resolved for every handshake, so its result is kept while the object holds the same values.
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, type Limits, resolveLimits } from "../../src/protocol/limits.ts";

describe("resolveLimits", () => {
  it("fills in the defaults and freezes the result", () => {
    const resolved = resolveLimits({ maxFrameSize: 1024 });
    expect(resolved).toEqual({ ...DEFAULT_LIMITS, maxFrameSize: 1024 });
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(resolveLimits(undefined)).toBe(DEFAULT_LIMITS);
  });

  it("gives the same result for the same object, and a new one once its values change", () => {
    const limits: Partial<Limits> = { maxMessageSize: 4096 };
    const first = resolveLimits(limits);
    expect(resolveLimits(limits)).toBe(first);
    limits.maxMessageSize = 8192;
    const second = resolveLimits(limits);
    expect(second.maxMessageSize).toBe(8192);
    expect(first.maxMessageSize).toBe(4096);
    limits.maxFragments = 3;
    expect(resolveLimits(limits).maxFragments).toBe(3);
    delete limits.maxFragments;
    expect(resolveLimits(limits).maxFragments).toBe(DEFAULT_LIMITS.maxFragments);
  });

  it("gives a resolved set back as it is", () => {
    const resolved = resolveLimits({ maxMessageSize: 4096 });
    expect(resolveLimits(resolved)).toBe(resolved);
    expect(Object.isFrozen(resolved)).toBe(true);
  });

  it("checks a value changed after an earlier resolve", () => {
    const limits: Partial<Limits> = { maxMessageSize: 4096 };
    resolveLimits(limits);
    limits.maxMessageSize = -1;
    expect(() => resolveLimits(limits)).toThrow(RangeError);
  });
});
