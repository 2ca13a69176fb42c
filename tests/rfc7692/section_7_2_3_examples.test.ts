// The examples of rfc7692#section-7.2.3, byte for byte: each inflates to "Hello" (in both
// roles, on fresh and reused inflaters), and where zlib's output is deterministic the deflater
// produces the RFC's exact bytes.
import { describe, expect, it } from "vitest";
import { createZlibDeflateEngine, zlibDeflateEngine } from "../../src/adapters/zlib_deflate.ts";
import type { Role } from "../../src/protocol/frame.ts";
import type { DeflateParams } from "../../src/protocol/permessage_deflate.ts";
import { hex, toHex } from "../_helpers/hex.ts";

const TAKEOVER: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const NO_TAKEOVER: DeflateParams = {
  ...TAKEOVER,
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
};
const ROLES: Role[] = ["server", "client"];
const MAX = 1 << 20;
const text = new TextDecoder();
const HELLO = new TextEncoder().encode("Hello");

// rfc7692#section-7.2.3, in the RFC's order.
const ONE_BLOCK = "f2 48 cd c9 c9 07 00";
const SHARED_WINDOW_SECOND = "f2 00 11 00 00";
const NO_COMPRESSION = "00 05 00 fa ff 48 65 6c 6c 6f 00";
const BFINAL = "f3 48 cd c9 c9 07 00 00";
const TWO_BLOCKS = "f2 48 05 00 00 00 ff ff ca c9 c9 07 00";
const EMPTY_FRAGMENT = "00";

async function inflateAll(
  payloads: string[],
  params: DeflateParams,
  role: Role,
): Promise<string[]> {
  const inflater = zlibDeflateEngine.inflater(params, role);
  try {
    const out: string[] = [];
    for (const payload of payloads) {
      out.push(text.decode(await inflater.decompress(hex(payload), MAX)));
    }
    return out;
  } finally {
    inflater.close();
  }
}

describe("rfc7692#section-7.2.3 examples, decompressed", () => {
  for (const role of ROLES) {
    it(`rfc7692#section-7.2.3.1 ${role} inflates "Hello" in one compressed block`, async () => {
      expect(await inflateAll([ONE_BLOCK], TAKEOVER, role)).toEqual(["Hello"]);
    });

    it(`rfc7692#section-7.2.3.2 ${role} inflates two messages sharing the LZ77 window`, async () => {
      expect(await inflateAll([ONE_BLOCK, SHARED_WINDOW_SECOND], TAKEOVER, role)).toEqual([
        "Hello",
        "Hello",
      ]);
    });

    it(`rfc7692#section-7.2.3.3 ${role} inflates "Hello" in a block with no compression`, async () => {
      expect(await inflateAll([NO_COMPRESSION], TAKEOVER, role)).toEqual(["Hello"]);
    });

    it(`rfc7692#section-7.2.3.4 ${role} inflates "Hello" in a block with BFINAL set`, async () => {
      expect(await inflateAll([BFINAL], TAKEOVER, role)).toEqual(["Hello"]);
    });

    it(`rfc7692#section-7.2.3.4 ${role} inflates the message after a BFINAL one on a new stream`, async () => {
      expect(await inflateAll([BFINAL, BFINAL, ONE_BLOCK, BFINAL], TAKEOVER, role)).toEqual([
        "Hello",
        "Hello",
        "Hello",
        "Hello",
      ]);
    });

    it(`rfc7692#section-7.2.3.5 ${role} inflates "Hello" split over two DEFLATE blocks`, async () => {
      expect(await inflateAll([TWO_BLOCKS], TAKEOVER, role)).toEqual(["Hello"]);
    });

    it(`rfc7692#section-7.2.3.6 ${role} inflates an empty block to an empty message`, async () => {
      expect(await inflateAll([EMPTY_FRAGMENT], TAKEOVER, role)).toEqual([""]);
      expect(await inflateAll([EMPTY_FRAGMENT, ONE_BLOCK], TAKEOVER, role)).toEqual([
        "",
        "Hello",
      ]);
    });

    it(`rfc7692#section-7.2.3 ${role} inflates every example in a row on one inflater`, async () => {
      const all = [ONE_BLOCK, SHARED_WINDOW_SECOND, NO_COMPRESSION, TWO_BLOCKS, EMPTY_FRAGMENT];
      expect(await inflateAll(all, TAKEOVER, role)).toEqual([
        "Hello",
        "Hello",
        "Hello",
        "Hello",
        "",
      ]);
    });

    it(`rfc7692#section-7.2.3 ${role} inflates every standalone example without context takeover`, async () => {
      const all = [ONE_BLOCK, NO_COMPRESSION, BFINAL, TWO_BLOCKS, EMPTY_FRAGMENT, ONE_BLOCK];
      expect(await inflateAll(all, NO_TAKEOVER, role)).toEqual([
        "Hello",
        "Hello",
        "Hello",
        "Hello",
        "",
        "Hello",
      ]);
    });
  }
});

describe("rfc7692#section-7.2.3 examples, compressed", () => {
  for (const role of ROLES) {
    it(`rfc7692#section-7.2.3.1 ${role} compresses "Hello" to f2 48 cd c9 c9 07 00`, async () => {
      const deflater = zlibDeflateEngine.deflater(TAKEOVER, role);
      expect(toHex(await deflater.compress(HELLO))).toBe(toHex(hex(ONE_BLOCK)));
      deflater.close();
    });

    it(`rfc7692#section-7.2.3.2 ${role} compresses a second "Hello" to f2 00 11 00 00 with context takeover`, async () => {
      const deflater = zlibDeflateEngine.deflater(TAKEOVER, role);
      expect(toHex(await deflater.compress(HELLO))).toBe(toHex(hex(ONE_BLOCK)));
      expect(toHex(await deflater.compress(HELLO))).toBe(toHex(hex(SHARED_WINDOW_SECOND)));
      deflater.close();
    });

    it(`rfc7692#section-7.2.3.2 ${role} compresses every "Hello" alike without context takeover`, async () => {
      const deflater = zlibDeflateEngine.deflater(NO_TAKEOVER, role);
      for (let i = 0; i < 3; i++) {
        expect(toHex(await deflater.compress(HELLO))).toBe(toHex(hex(ONE_BLOCK)));
      }
      deflater.close();
    });

    it(`rfc7692#section-7.2.3.3 ${role} at level 0 writes "Hello" in a block with no compression`, async () => {
      const deflater = createZlibDeflateEngine({ level: 0 }).deflater(TAKEOVER, role);
      expect(toHex(await deflater.compress(HELLO))).toBe(toHex(hex(NO_COMPRESSION)));
      deflater.close();
    });

    it(`rfc7692#section-7.2.3.6 ${role} compresses an empty message to the single octet 00`, async () => {
      const deflater = zlibDeflateEngine.deflater(TAKEOVER, role);
      expect(toHex(await deflater.compress(new Uint8Array(0)))).toBe("00");
      expect(toHex(await deflater.compress(HELLO))).toBe(toHex(hex(ONE_BLOCK)));
      deflater.close();
    });
  }
});
