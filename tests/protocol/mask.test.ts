import { describe, expect, it } from "vitest";
import { applyMask, applyMaskKey, copyMasked, MaskKeySource } from "../../src/protocol/mask.ts";

const KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

function naiveMask(data: Uint8Array, key: Uint8Array, offset = 0): Uint8Array {
  return data.map((byte, i) => byte ^ key[(i + offset) & 3]!);
}

describe("applyMask", () => {
  it('rfc6455#section-5.7 unmasks the RFC\'s masked "Hello"', () => {
    const data = new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    applyMask(data, KEY);
    expect(new TextDecoder().decode(data)).toBe("Hello");
  });

  it("rfc6455#section-5.3 matches the byte-wise definition at every length, alignment and key offset", () => {
    const backing = new Uint8Array(300);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + 7) & 0xff;
    for (let start = 0; start < 4; start++) {
      for (let length = 0; length < 200; length += 7) {
        for (let keyOffset = 0; keyOffset < 4; keyOffset++) {
          const data = backing.slice(0, 260).subarray(start, start + length);
          const expected = naiveMask(data, KEY, keyOffset);
          applyMask(data, KEY, keyOffset);
          expect(data).toEqual(expected);
        }
      }
    }
  });

  it("is its own inverse", () => {
    const original = crypto.getRandomValues(new Uint8Array(1000));
    const data = original.slice();
    applyMask(data, KEY);
    applyMask(data, KEY);
    expect(data).toEqual(original);
  });
});

describe("applyMaskKey", () => {
  it("rfc6455#section-5.3 matches the byte-wise definition at every length, alignment and key offset", () => {
    const backing = new Uint8Array(300);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 37 + 11) & 0xff;
    for (let start = 0; start < 4; start++) {
      for (let length = 0; length < 200; length += 7) {
        for (let keyOffset = 0; keyOffset < 8; keyOffset++) {
          const data = backing.slice(0, 260).subarray(start, start + length);
          const expected = naiveMask(data, KEY, keyOffset);
          applyMaskKey(data, KEY[0]!, KEY[1]!, KEY[2]!, KEY[3]!, keyOffset);
          expect(data).toEqual(expected);
        }
      }
    }
  });
});

describe("copyMasked", () => {
  it("masks into the target and leaves the source unchanged", () => {
    const source = new TextEncoder().encode("Hello, masking world, long enough for words");
    const copy = source.slice();
    const target = new Uint8Array(source.length + 3);
    copyMasked(source, target, 3, KEY);
    expect(source).toEqual(copy);
    expect(target.subarray(3)).toEqual(naiveMask(source, KEY));
  });
});

describe("MaskKeySource", () => {
  it("rfc6455#section-5.3 hands out fresh 4-byte keys across batch refills", () => {
    const keys = new MaskKeySource(4);
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) seen.add(Array.from(keys.next()).join(","));
    // 64 keys of 32 random bits: a collision has probability below 1e-6.
    expect(seen.size).toBe(64);
  });
});
