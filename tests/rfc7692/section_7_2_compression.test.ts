// rfc7692#section-7.2.1 and rfc7692#section-7.2.2 on the zlib engine, checked with a small
// DEFLATE decoder written here from RFC 1951 (independent of zlib), which also reports how far
// back each match reaches: the window limits of rfc7692#section-7.1.2 are about exactly that.
import { describe, expect, it } from "vitest";
import { zlibDeflateEngine } from "../../src/adapters/zlib_deflate.ts";
import { WebSocketError } from "../../src/protocol/errors.ts";
import type { Role } from "../../src/protocol/frame.ts";
import type { DeflateParams } from "../../src/protocol/permessage_deflate.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { concat } from "../_helpers/hex.ts";

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const ROLES: Role[] = ["server", "client"];

function params(overrides: Partial<DeflateParams> = {}): DeflateParams {
  return {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...overrides,
  };
}

function peerOf(role: Role): Role {
  return role === "server" ? "client" : "server";
}

/** Text of words drawn from a fixed vocabulary: matches at every distance up to the input. */
function wordSoup(bytes: number, seed: number): Uint8Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
  const vocabulary: string[] = [];
  for (let i = 0; i < 3000; i++) {
    let word = "";
    const length = 3 + (next() % 7);
    for (let j = 0; j < length; j++) word += String.fromCharCode(0x61 + (next() % 26));
    vocabulary.push(word);
  }
  const out = new Uint8Array(bytes);
  let offset = 0;
  while (offset < bytes) {
    const word = vocabulary[next() % vocabulary.length]! + " ";
    for (let i = 0; i < word.length && offset < bytes; i++) out[offset++] = word.charCodeAt(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// An independent DEFLATE decoder (RFC 1951, after the structure of zlib's puff.c)

interface Huffman {
  count: Uint16Array;
  symbol: Uint16Array;
}

interface Decoded {
  output: Uint8Array;
  /** The farthest any match reached back, in bytes. */
  maxDistance: number;
  /** Each block's BFINAL bit and BTYPE, in order. */
  blocks: { final: boolean; type: number }[];
  /** Whether the input ended exactly at a byte boundary after a block. */
  endedAligned: boolean;
}

const LENGTH_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  13,
  15,
  17,
  19,
  23,
  27,
  31,
  35,
  43,
  51,
  59,
  67,
  83,
  99,
  115,
  131,
  163,
  195,
  227,
  258,
];
const LENGTH_EXTRA = [
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
  1,
  1,
  1,
  2,
  2,
  2,
  2,
  3,
  3,
  3,
  3,
  4,
  4,
  4,
  4,
  5,
  5,
  5,
  5,
  0,
];
const DISTANCE_BASE = [
  1,
  2,
  3,
  4,
  5,
  7,
  9,
  13,
  17,
  25,
  33,
  49,
  65,
  97,
  129,
  193,
  257,
  385,
  513,
  769,
  1025,
  1537,
  2049,
  3073,
  4097,
  6145,
  8193,
  12289,
  16385,
  24577,
];
const DISTANCE_EXTRA = [
  0,
  0,
  0,
  0,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  5,
  6,
  6,
  7,
  7,
  8,
  8,
  9,
  9,
  10,
  10,
  11,
  11,
  12,
  12,
  13,
  13,
];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

function buildHuffman(lengths: readonly number[]): Huffman {
  const count = new Uint16Array(16);
  for (const length of lengths) count[length]!++;
  count[0] = 0;
  const offsets = new Uint16Array(16);
  for (let length = 1; length < 15; length++) {
    offsets[length + 1] = offsets[length]! + count[length]!;
  }
  const symbol = new Uint16Array(lengths.length);
  lengths.forEach((length, sym) => {
    if (length !== 0) symbol[offsets[length]!++] = sym;
  });
  return { count, symbol };
}

function decodeDeflate(input: Uint8Array): Decoded {
  let pos = 0;
  let bitBuffer = 0;
  let bitCount = 0;
  let output = new Uint8Array(1024);
  let outLength = 0;
  let maxDistance = 0;
  const blocks: { final: boolean; type: number }[] = [];

  const bits = (n: number): number => {
    while (bitCount < n) {
      if (pos >= input.length) throw new Error("DEFLATE data ends early");
      bitBuffer |= input[pos++]! << bitCount;
      bitCount += 8;
    }
    const value = bitBuffer & ((1 << n) - 1);
    bitBuffer >>>= n;
    bitCount -= n;
    return value;
  };
  const emit = (byte: number): void => {
    if (outLength === output.length) {
      const bigger = new Uint8Array(output.length * 2);
      bigger.set(output);
      output = bigger;
    }
    output[outLength++] = byte;
  };
  const decode = (huffman: Huffman): number => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let length = 1; length <= 15; length++) {
      code |= bits(1);
      const count = huffman.count[length]!;
      if (code - count < first) return huffman.symbol[index + (code - first)]!;
      index += count;
      first = (first + count) << 1;
      code <<= 1;
    }
    throw new Error("Invalid Huffman code");
  };
  const inflateCodes = (lengthCode: Huffman, distanceCode: Huffman): void => {
    for (;;) {
      let sym = decode(lengthCode);
      if (sym < 256) {
        emit(sym);
        continue;
      }
      if (sym === 256) return;
      sym -= 257;
      if (sym >= 29) throw new Error("Invalid length symbol");
      const length = LENGTH_BASE[sym]! + bits(LENGTH_EXTRA[sym]!);
      const dsym = decode(distanceCode);
      if (dsym >= 30) throw new Error("Invalid distance symbol");
      const distance = DISTANCE_BASE[dsym]! + bits(DISTANCE_EXTRA[dsym]!);
      if (distance > outLength) throw new Error("Distance too far back");
      maxDistance = Math.max(maxDistance, distance);
      for (let i = 0; i < length; i++) emit(output[outLength - distance]!);
    }
  };

  const fixedLengths: number[] = [];
  for (let sym = 0; sym < 288; sym++) {
    fixedLengths.push(sym < 144 ? 8 : sym < 256 ? 9 : sym < 280 ? 7 : 8);
  }
  const fixedLength = buildHuffman(fixedLengths);
  const fixedDistance = buildHuffman(new Array<number>(30).fill(5));

  for (;;) {
    if (pos >= input.length && bitCount === 0) break;
    const final = bits(1) === 1;
    const type = bits(2);
    blocks.push({ final, type });
    if (type === 0) {
      bitBuffer = 0;
      bitCount = 0;
      if (pos + 4 > input.length) throw new Error("Stored block header ends early");
      const length = input[pos]! | (input[pos + 1]! << 8);
      const inverse = input[pos + 2]! | (input[pos + 3]! << 8);
      if ((length ^ 0xffff) !== inverse) throw new Error("Stored block length mismatch");
      pos += 4;
      if (pos + length > input.length) throw new Error("Stored block ends early");
      for (let i = 0; i < length; i++) emit(input[pos + i]!);
      pos += length;
    } else if (type === 1) {
      inflateCodes(fixedLength, fixedDistance);
    } else if (type === 2) {
      const literalCount = bits(5) + 257;
      const distanceCount = bits(5) + 1;
      const codeCount = bits(4) + 4;
      const codeLengths = new Array<number>(19).fill(0);
      for (let i = 0; i < codeCount; i++) codeLengths[CODE_LENGTH_ORDER[i]!] = bits(3);
      const lengthCode = buildHuffman(codeLengths);
      const lengths: number[] = [];
      while (lengths.length < literalCount + distanceCount) {
        const sym = decode(lengthCode);
        if (sym < 16) {
          lengths.push(sym);
          continue;
        }
        let repeat: number;
        let value = 0;
        if (sym === 16) {
          if (lengths.length === 0) throw new Error("Repeat with no previous length");
          value = lengths[lengths.length - 1]!;
          repeat = 3 + bits(2);
        } else if (sym === 17) {
          repeat = 3 + bits(3);
        } else {
          repeat = 11 + bits(7);
        }
        for (let i = 0; i < repeat; i++) lengths.push(value);
      }
      inflateCodes(
        buildHuffman(lengths.slice(0, literalCount)),
        buildHuffman(lengths.slice(literalCount)),
      );
    } else {
      throw new Error("Invalid block type 3");
    }
    if (final) break;
  }
  return {
    output: output.slice(0, outLength),
    maxDistance,
    blocks,
    endedAligned: pos === input.length && bitCount === 0,
  };
}

/** What the peer's inflater sees: each payload with the tail appended, end to end. */
function wire(payloads: Uint8Array[]): Uint8Array {
  return concat(...payloads.flatMap((payload) => [payload, TAIL]));
}

// ---------------------------------------------------------------------------------------------

describe("rfc7692#section-7.2.1 compressing", () => {
  for (const role of ROLES) {
    it(`rfc7692#section-7.2.1 ${role} output plus 00 00 ff ff is non-final DEFLATE ending on a byte boundary`, async () => {
      const deflater = zlibDeflateEngine.deflater(params(), role);
      const messages = [wordSoup(1, 1), wordSoup(100, 2), wordSoup(70_000, 3), new Uint8Array(0)];
      const payloads: Uint8Array[] = [];
      for (const message of messages) {
        payloads.push(await deflater.compress(message));
        // Later messages refer back into earlier ones, so decode everything sent so far.
        const decoded = decodeDeflate(wire(payloads));
        expect(bytesDiff(decoded.output, concat(...messages.slice(0, payloads.length)))).toBe("");
        expect(decoded.blocks.every((block) => !block.final)).toBe(true);
        // rfc7692#section-7.2.1: the data ends with an empty block with no compression
        expect(decoded.blocks.at(-1)).toEqual({ final: false, type: 0 });
        expect(decoded.endedAligned).toBe(true);
      }
      deflater.close();
    });

    it(`rfc7692#section-7.2.1 ${role} messages taking over the window decode as one continuous stream`, async () => {
      const deflater = zlibDeflateEngine.deflater(params(), role);
      const messages = [wordSoup(5000, 4), wordSoup(5000, 4), wordSoup(3000, 5), wordSoup(5000, 4)];
      const payloads: Uint8Array[] = [];
      for (const message of messages) payloads.push(await deflater.compress(message));
      deflater.close();
      expect(bytesDiff(decodeDeflate(wire(payloads)).output, concat(...messages))).toBe("");
      // The repeated message refers back into the earlier one instead of repeating it.
      expect(payloads[1]!.length).toBeLessThan(payloads[0]!.length / 10);
    });

    const own = role === "server" ? "serverNoContextTakeover" : "clientNoContextTakeover";
    it(`rfc7692#section-7.2.1 ${role} with ${own} starts every message with an empty window`, async () => {
      const deflater = zlibDeflateEngine.deflater(params({ [own]: true }), role);
      const message = wordSoup(5000, 6);
      const payloads: Uint8Array[] = [];
      for (let i = 0; i < 3; i++) payloads.push(await deflater.compress(message));
      deflater.close();
      for (const payload of payloads) {
        // Each decodes with a fresh decoder: no match reaches into an earlier message.
        expect(bytesDiff(decodeDeflate(concat(payload, TAIL)).output, message)).toBe("");
        expect(bytesDiff(payload, payloads[0]!)).toBe("");
      }
    });
  }
});

describe("rfc7692#section-7.1.2 window sizes", () => {
  const data = wordSoup(256 * 1024, 7);

  for (const role of ROLES) {
    const field = role === "server" ? "serverMaxWindowBits" : "clientMaxWindowBits";
    for (let bits = 8; bits <= 15; bits++) {
      const section = role === "server" ? "7.1.2.1" : "7.1.2.2";
      it(`rfc7692#section-${section} ${role} agreed to ${field}=${bits} never reaches back beyond ${2 ** bits} bytes`, async () => {
        const deflater = zlibDeflateEngine.deflater(params({ [field]: bits }), role);
        const payloads = [
          await deflater.compress(data.subarray(0, 100_000)),
          await deflater.compress(data.subarray(100_000)),
        ];
        deflater.close();
        const decoded = decodeDeflate(wire(payloads));
        expect(bytesDiff(decoded.output, data)).toBe("");
        expect(decoded.maxDistance).toBeLessThanOrEqual(2 ** bits);
        // The data has matches at every distance, so the limit is what held it back. zlib
        // reaches at most its window minus a 262-byte lookahead (250 bytes with windowBits 9,
        // which it uses for 8).
        const reach = 2 ** Math.max(9, bits) - 262;
        expect(decoded.maxDistance).toBeLessThanOrEqual(reach);
        expect(decoded.maxDistance).toBeGreaterThan(reach / 2);

        // The peer inflates it with exactly the agreed window.
        const inflater = zlibDeflateEngine.inflater(params({ [field]: bits }), peerOf(role));
        const first = await inflater.decompress(payloads[0]!, data.length);
        const second = await inflater.decompress(payloads[1]!, data.length);
        inflater.close();
        expect(bytesDiff(concat(first, second), data)).toBe("");
      });
    }
  }
});

describe("rfc7692#section-7.2.2 decompressing", () => {
  for (const role of ROLES) {
    const peerReset = role === "server" ? "clientNoContextTakeover" : "serverNoContextTakeover";
    const section = role === "server" ? "7.1.1.2" : "7.1.1.1";

    it(`rfc7692#section-${section} ${role} inflater keeps the window across messages unless ${peerReset}`, async () => {
      const deflater = zlibDeflateEngine.deflater(params(), peerOf(role));
      const message = wordSoup(4000, 8);
      const first = await deflater.compress(message);
      const second = await deflater.compress(message); // refers back into the first
      deflater.close();

      const keeping = zlibDeflateEngine.inflater(params(), role);
      expect(bytesDiff(await keeping.decompress(first, 1 << 20), message)).toBe("");
      expect(bytesDiff(await keeping.decompress(second, 1 << 20), message)).toBe("");
      keeping.close();

      // Told the peer resets, the inflater forgets: the back reference is now invalid data.
      const forgetting = zlibDeflateEngine.inflater(params({ [peerReset]: true }), role);
      expect(bytesDiff(await forgetting.decompress(first, 1 << 20), message)).toBe("");
      const error = await forgetting.decompress(second, 1 << 20).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WebSocketError);
      expect((error as WebSocketError).closeCode).toBe(1007);
      forgetting.close();
    });

    it(`rfc7692#section-7.2.2 ${role} inflates payloads written without the tail`, async () => {
      const message = wordSoup(20_000, 9);
      const deflater = zlibDeflateEngine.deflater(params(), peerOf(role));
      const payload = await deflater.compress(message);
      deflater.close();
      const tail = payload.subarray(payload.length - 4);
      expect(Array.from(tail)).not.toEqual(Array.from(TAIL));
      const inflater = zlibDeflateEngine.inflater(params(), role);
      expect(bytesDiff(await inflater.decompress(payload, message.length), message)).toBe("");
      inflater.close();
    });
  }
});
