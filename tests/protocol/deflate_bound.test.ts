// deflateWorstCase (src/protocol/deflate_bound.ts): the wire-size allowance of a compressed
// message (rfc7692#section-7.2.2), checked against what node:zlib really produces.
import { describe, expect, it } from "vitest";
import { deflateRawSync } from "node:zlib";
import { deflateWorstCase } from "../../src/protocol/deflate_bound.ts";

function random(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65_536) crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  return bytes;
}

describe("deflateWorstCase", () => {
  it("rfc7692#section-7.2.2 matches zlib's deflateBound for unknown parameters", () => {
    expect(deflateWorstCase(0)).toBe(13);
    expect(deflateWorstCase(500)).toBe(573);
    expect(deflateWorstCase(1000)).toBe(1139);
  });

  it("rfc7692#section-7.2.2 bounds what zlib makes of random bytes at every memLevel and window", () => {
    const data = random(256 * 1024);
    for (const memLevel of [1, 5, 8, 9]) {
      for (const windowBits of [9, 12, 15]) {
        const compressed = deflateRawSync(data, { memLevel, windowBits });
        expect(compressed.length, `memLevel ${memLevel}, windowBits ${windowBits}`)
          .toBeLessThanOrEqual(deflateWorstCase(data.length));
        expect(compressed.length).toBeGreaterThan(data.length); // incompressible: it grows
      }
    }
  });
});
