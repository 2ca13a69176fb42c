import { describe, expect, it } from "vitest";
import {
  applyMask,
  applyMaskKey,
  copyMasked,
  copyUnmasked,
  MaskKeySource,
  maskRange,
  maskRangeWide,
  wideWordsOf,
  wordsOf,
} from "../../src/protocol/mask.ts";

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

type Unmask = (chunk: Uint8Array, from: number, to: number, keyOffset: number) => void;

/**
 * Checks `unmask` against the byte-wise definition at every range of a chunk starting at each
 * of `alignments` offsets of its buffer, lengths stepping by `step`, and key offsets, and that
 * nothing outside the range changes.
 */
function checkRanges(unmask: Unmask, alignments: number, step: number, keyOffsets: number): void {
  const backing = new Uint8Array(400);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 53 + 5) & 0xff;
  const wrong: string[] = [];
  for (let start = 0; start < alignments; start++) {
    for (let from = 0; from < 9; from++) {
      for (let length = 0; length < 200; length += step) {
        for (let keyOffset = 0; keyOffset < keyOffsets; keyOffset++) {
          const chunk = backing.slice(0, 380).subarray(start);
          const before = chunk.slice();
          const expected = naiveMask(chunk.subarray(from, from + length), KEY, keyOffset);
          unmask(chunk, from, from + length, keyOffset);
          // Compared byte by byte (an expect per case would dominate the run); the cases that
          // differ are listed.
          for (let i = 0; i < chunk.length; i++) {
            const inRange = i >= from && i < from + length;
            if (chunk[i] !== (inRange ? expected[i - from] : before[i])) {
              wrong.push(`start ${start} from ${from} length ${length} key offset ${keyOffset}`);
              break;
            }
          }
        }
      }
    }
  }
  expect(wrong).toEqual([]);
}

describe("maskRange", () => {
  it("rfc6455#section-5.3 matches the byte-wise definition at every range, alignment and key offset, through the chunk's words", () => {
    checkRanges(
      (chunk, from, to, keyOffset) => {
        maskRange(chunk, from, to, KEY[0]!, KEY[1]!, KEY[2]!, KEY[3]!, keyOffset, wordsOf(chunk));
      },
      4,
      5,
      8,
    );
  });

  it("goes a byte at a time without the words, with the same result", () => {
    const chunk = crypto.getRandomValues(new Uint8Array(100));
    const expected = naiveMask(chunk.subarray(3, 90), KEY, 2);
    maskRange(chunk, 3, 90, KEY[0]!, KEY[1]!, KEY[2]!, KEY[3]!, 2, undefined);
    expect(chunk.subarray(3, 90)).toEqual(expected);
  });
});

describe("maskRangeWide", () => {
  it("rfc6455#section-5.3 matches the byte-wise definition at every range, alignment and key offset, 64 bits at a time", () => {
    checkRanges(
      (chunk, from, to, keyOffset) => {
        const words = wideWordsOf(chunk);
        maskRangeWide(chunk, from, to, KEY[0]!, KEY[1]!, KEY[2]!, KEY[3]!, keyOffset, words);
      },
      8,
      13,
      4,
    );
  });
});

describe("copyUnmasked", () => {
  it("rfc6455#section-5.3 copies and unmasks at every length and offset, leaving the source unchanged", () => {
    const source = crypto.getRandomValues(new Uint8Array(80));
    const before = source.slice();
    for (let from = 0; from < 5; from++) {
      for (let length = 0; length < 70; length++) {
        const copy = copyUnmasked(source, from, length, KEY[0]!, KEY[1]!, KEY[2]!, KEY[3]!);
        expect(copy).toEqual(naiveMask(source.subarray(from, from + length), KEY));
        expect(copy.buffer.byteLength).toBe(length);
      }
    }
    expect(source).toEqual(before);
    expect(copyUnmasked(source, 7, 9, 0, 0, 0, 0)).toEqual(source.subarray(7, 16));
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
