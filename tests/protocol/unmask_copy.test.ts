import { describe, expect, it } from "vitest";
import {
  copyUnmaskedInto,
  SIMD_FROM,
  simdUnmask,
  sliceUnmasked,
} from "../../src/protocol/unmask_copy.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { FrameSerializer } from "../../src/protocol/frame_serializer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import type { Frame } from "../../src/protocol/frame.ts";
import { startChild } from "../_helpers/child_process.ts";
import { concat } from "../_helpers/hex.ts";

const KEY = [0x37, 0xfa, 0x21, 0x3d] as const;
// The key as the parser keeps it: one number, its first byte lowest.
const KEY_WORD = 0x3d21fa37;

function patterned(length: number, seed = 7): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 131 + seed) & 0xff;
  return bytes;
}

/** The RFC's definition, a byte at a time: octet i XOR key octet (i + offset) MOD 4. */
function naiveUnmask(masked: Uint8Array, offset: number): Uint8Array {
  const out = new Uint8Array(masked.length);
  for (let i = 0; i < masked.length; i++) out[i] = masked[i]! ^ KEY[(i + offset) & 3]!;
  return out;
}

/** Where two byte arrays first differ (a length counts), or -1: quick on large arrays. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

describe("copyUnmaskedInto", () => {
  it('rfc6455#section-5.7 unmasks the RFC\'s masked "Hello" out of its frame', () => {
    const frame = new Uint8Array([
      0x81,
      0x85,
      0x37,
      0xfa,
      0x21,
      0x3d,
      0x7f,
      0x9f,
      0x4d,
      0x51,
      0x58,
    ]);
    const payload = new Uint8Array(5);
    copyUnmaskedInto(payload, 0, frame, 6, 5, KEY_WORD, 0);
    expect(new TextDecoder().decode(payload)).toBe("Hello");
    expect(frame[6]).toBe(0x7f); // the source is left masked
  });

  it("rfc6455#section-5.3 matches the byte-wise definition across sizes, alignments, key offsets and blocks", () => {
    // Sizes on both sides of the SIMD threshold, of a 16-byte vector and of the 64 KiB block.
    const sizes = [0, 1, 31, 33, SIMD_FROM - 1, SIMD_FROM, SIMD_FROM + 5, 65_535, 65_536, 65_537];
    const source = patterned(65_537 + 40);
    for (const length of [...sizes, 3 * 65_536 + 13]) {
      const from = length % 7;
      const big = length > 65_537 ? patterned(length + 8) : source;
      for (const keyOffset of [0, 1, 2, 3, 6]) {
        const target = new Uint8Array(length + 9).fill(0xee);
        copyUnmaskedInto(target, 3, big, from, length, KEY_WORD, keyOffset);
        const expected = naiveUnmask(big.subarray(from, from + length), keyOffset);
        expect(firstDifference(target.subarray(3, 3 + length), expected)).toBe(-1);
        // Nothing around the copy is touched.
        expect([...target.subarray(0, 3), ...target.subarray(3 + length)]).toEqual(
          new Array(9).fill(0xee),
        );
      }
    }
  });
});

describe("copyUnmaskedInto in place", () => {
  it("rfc6455#section-5.3 unmasks a range of a buffer where it lies, across the threshold and blocks", () => {
    for (const length of [SIMD_FROM - 1, SIMD_FROM, 4099, 65_536, 65_537, 140_003]) {
      for (const keyOffset of [0, 3]) {
        const buffer = patterned(length + 10, length & 0xff);
        const expected = naiveUnmask(buffer.subarray(5, 5 + length), keyOffset);
        const around = [...buffer.subarray(0, 5), ...buffer.subarray(5 + length)];
        copyUnmaskedInto(buffer, 5, buffer, 5, length, KEY_WORD, keyOffset);
        expect(firstDifference(buffer.subarray(5, 5 + length), expected)).toBe(-1);
        expect([...buffer.subarray(0, 5), ...buffer.subarray(5 + length)]).toEqual(around);
      }
    }
  });
});

describe("sliceUnmasked", () => {
  it("rfc6455#section-5.3 returns an unmasked copy of its own at every size around the threshold and block", () => {
    const source = patterned(70_000);
    for (const length of [0, 5, SIMD_FROM - 1, SIMD_FROM, 4099, 65_536, 65_537, 69_990]) {
      const from = 3;
      const out = sliceUnmasked(source, from, length, KEY_WORD);
      expect(out.length).toBe(length);
      expect(out.byteOffset).toBe(0);
      expect(out.buffer.byteLength).toBe(length);
      expect(firstDifference(out, naiveUnmask(source.subarray(from, from + length), 0))).toBe(-1);
    }
  });

  it("hands out arrays that later calls leave alone", () => {
    const first = sliceUnmasked(patterned(SIMD_FROM, 1), 0, SIMD_FROM, KEY_WORD);
    const copy = first.slice();
    sliceUnmasked(patterned(SIMD_FROM, 2), 0, SIMD_FROM, KEY_WORD);
    expect(firstDifference(first, copy)).toBe(-1);
  });

  it("is backed by WebAssembly SIMD on this runtime (Node, Bun and Deno all have it)", () => {
    expect(simdUnmask()).toBe(true);
  });
});

describe("without WebAssembly", () => {
  it(
    "rfc6455#section-5.3 a runtime without it (--jitless) unmasks and masks large payloads in JavaScript, the same",
    async () => {
      // A child process of this runtime, which removes WebAssembly before loading wsflow's code.
      const child = startChild("tests/_helpers/no_wasm_probe.ts", []);
      try {
        expect((await child.exited(25_000)).code, child.output()).toBe(0);
        expect(child.stdout).toEqual(["SIMD false", "OK 8"]);
      } finally {
        child.kill();
      }
    },
  );
});

describe("FrameParser with vector unmasking", () => {
  it("rfc6455#section-5.3 parses large masked frames whole, split and spanning chunks to the client's payload", () => {
    const client = new FrameSerializer({ role: "client" });
    const payloads = [SIMD_FROM, 65_536, 200_001].map((n) => patterned(n, n & 0xff));
    for (const payload of payloads) client.writeFrame(Opcode.Binary, payload);
    const wire = concat(...client.take()!);
    // Whole, then cut in pieces of sizes that put piece edges at every alignment.
    for (const cut of [wire.length, 65_539, 4097, 2053]) {
      const frames: Frame[] = [];
      const parser = new FrameParser({ role: "server", limits: { maxMessageSize: 1 << 20 } });
      for (let at = 0; at < wire.length; at += cut) {
        // Each chunk in a buffer of its own, as sockets hand them over.
        parser.push(wire.slice(at, at + cut), (frame) => frames.push(frame));
      }
      expect(frames.length).toBe(payloads.length);
      frames.forEach((frame, i) => expect(firstDifference(frame.payload, payloads[i]!)).toBe(-1));
    }
  });
});
