// FrameSerializer and serializeFrame: the arena (many frames, one take()), zero-copy large server
// payloads, client masking, and text encoded straight into the arena at the length boundaries
// where the header grows after encoding (the copyWithin path).
import { describe, expect, it } from "vitest";
import type { Role } from "../../src/protocol/frame.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { firstByte, FrameSerializer, serializeFrame } from "../../src/protocol/frame_serializer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { concat, decodeOutgoing, hex, rec, toHex, utf8Hex } from "../_helpers/hex.ts";

const ROLES: readonly Role[] = ["server", "client"];

function pattern(length: number, seed = 0): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 41 + seed) & 0xff;
  return data;
}

/** The 7-bit length field of each frame in `bytes`, walking the headers. */
function lengthFields(bytes: Uint8Array): number[] {
  const fields: number[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const b1 = bytes[offset + 1]!;
    const field = b1 & 0x7f;
    fields.push(field);
    let length = field;
    offset += 2;
    if (field === 126) {
      length = (bytes[offset]! << 8) | bytes[offset + 1]!;
      offset += 2;
    } else if (field === 127) {
      length = Number(new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getBigUint64(0));
      offset += 8;
    }
    offset += ((b1 & 0x80) !== 0 ? 4 : 0) + length;
  }
  return fields;
}

describe("serializeFrame", () => {
  it("writes FIN, RSV1-3 and the opcode into the first byte", () => {
    const cases: [boolean, boolean, boolean, boolean, number, number][] = [
      [true, false, false, false, 0x1, 0x81],
      [false, false, false, false, 0x0, 0x00],
      [true, true, false, false, 0x2, 0xc2],
      [true, false, true, false, 0x9, 0xa9],
      [true, false, false, true, 0xa, 0x9a],
      [false, true, true, true, 0x8, 0x78],
    ];
    for (const [fin, rsv1, rsv2, rsv3, opcode, byte] of cases) {
      const frame = { fin, rsv1, rsv2, rsv3, opcode: opcode as Opcode };
      expect(firstByte(frame)).toBe(byte);
      expect(serializeFrame({ ...frame, payload: new Uint8Array(0) })[0]).toBe(byte);
    }
  });

  it("writes a masked frame whose payload a server parser reads back, leaving the payload as it was", () => {
    const payload = pattern(1000);
    const bytes = serializeFrame({
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: Opcode.Binary,
      payload,
    }, hex("01020304"));
    expect(toHex(bytes.subarray(0, 8))).toBe("82fe03e801020304");
    expect(toHex(payload)).toBe(toHex(pattern(1000)));
    const frames: Uint8Array[] = [];
    new FrameParser({ role: "server" }).push(bytes, (frame) => frames.push(frame.payload));
    expect(toHex(frames[0]!)).toBe(toHex(pattern(1000)));
  });
});

describe("FrameSerializer arena", () => {
  it("server: many frames between two take() calls come out as one chunk, in order", () => {
    const serializer = new FrameSerializer({ role: "server" });
    expect(serializer.take()).toBeUndefined();
    expect(serializer.pendingBytes).toBe(0);
    serializer.writeText("one");
    serializer.writeFrame(Opcode.Binary, hex("0203"));
    serializer.writeFrame(Opcode.Ping, new Uint8Array(0));
    serializer.writeText("four", false);
    serializer.writeText("!", true, Opcode.Continuation);
    expect(serializer.pendingBytes).toBe(5 + 4 + 2 + 6 + 3);
    const chunks = serializer.take();
    expect(chunks?.length).toBe(1);
    expect(toHex(chunks![0]!)).toBe(
      "81036f6e65" + "82020203" + "8900" + "0104666f7572" + "800121",
    );
    expect(serializer.pendingBytes).toBe(0);
    expect(serializer.take()).toBeUndefined();
  });

  it("server: chunks already taken are not overwritten by later writes", () => {
    const serializer = new FrameSerializer({ role: "server" });
    serializer.writeText("first");
    const [first] = serializer.take() ?? [];
    const before = toHex(first!);
    for (let i = 0; i < 100; i++) serializer.writeFrame(Opcode.Binary, pattern(1000, i));
    serializer.writeText("x".repeat(20_000));
    serializer.take();
    expect(toHex(first!)).toBe(before);
  });

  for (const role of ROLES) {
    it(`${role}: a batch that outgrows the first, small arena still comes out as one chunk`, () => {
      const serializer = new FrameSerializer({ role });
      for (let i = 0; i < 50; i++) serializer.writeFrame(Opcode.Binary, pattern(900, i));
      serializer.writeText("end");
      const chunks = serializer.take() ?? [];
      expect(chunks.length).toBe(1);
      const frames = decodeOutgoing(role, chunks);
      expect(frames.length).toBe(51);
      frames.slice(0, 50).forEach((frame, i) => expect(frame.payload).toBe(toHex(pattern(900, i))));
      expect(frames[50]).toEqual(rec(Opcode.Text, utf8Hex("end")));
    });
  }

  it("server: release() gives the buffer back once everything taken is written, for the next batch of any serializer", () => {
    const serializer = new FrameSerializer({ role: "server" });
    serializer.writeText("abc");
    const [first] = serializer.take() ?? [];
    expect(serializer.heldBytes).toBeGreaterThan(0);
    serializer.release();
    // Written out: a quiet serializer holds no output buffer.
    expect(serializer.heldBytes).toBe(0);
    // The next batch, of this serializer or another, takes the buffer given back.
    const other = new FrameSerializer({ role: "server" });
    other.writeText("xyz");
    const [second] = other.take() ?? [];
    expect(toHex(second!)).toBe("8103" + utf8Hex("xyz"));
    expect(second!.buffer).toBe(first!.buffer);
    // With bytes pending, release() must not give back what holds them.
    other.writeText("keep");
    other.release();
    expect(other.heldBytes).toBeGreaterThan(0);
    other.writeText("more");
    expect(decodeOutgoing("server", other.take() ?? [])).toEqual([
      rec(Opcode.Text, utf8Hex("keep")),
      rec(Opcode.Text, utf8Hex("more")),
    ]);
    other.release();
    expect(other.heldBytes).toBe(0);
  });

  it("server: handOff() lets go of the buffer without reuse: chunks a consumer keeps are never written over", () => {
    const serializer = new FrameSerializer({ role: "server" });
    serializer.writeText("abc");
    const [first] = serializer.take() ?? [];
    serializer.handOff();
    expect(serializer.heldBytes).toBe(0);
    for (const text of ["xyz", "uvw"]) {
      const other = new FrameSerializer({ role: "server" });
      other.writeText(text);
      const [next] = other.take() ?? [];
      expect(next!.buffer).not.toBe(first!.buffer);
      other.release();
    }
    serializer.writeText("def");
    const [again] = serializer.take() ?? [];
    expect(again!.buffer).not.toBe(first!.buffer);
    expect(toHex(first!)).toBe("8103" + utf8Hex("abc"));
  });

  it("server: the buffer of a frame with a 64 KiB payload, the largest copied, is reused too", () => {
    const serializer = new FrameSerializer({ role: "server" });
    const payload = pattern(65_536, 1);
    let last: ArrayBufferLike | undefined;
    for (let round = 0; round < 3; round++) {
      serializer.writeFrame(Opcode.Binary, payload);
      const chunks = serializer.take() ?? [];
      expect(chunks.length).toBe(1);
      expect(decodeOutgoing("server", chunks)[0]!.payload).toBe(toHex(payload));
      if (last !== undefined) expect(chunks[0]!.buffer).toBe(last);
      last = chunks[0]!.buffer;
      serializer.release();
    }
  });

  it("server: a batch after a release starts with room for as much as the last one used", () => {
    const serializer = new FrameSerializer({ role: "server" });
    for (let i = 0; i < 20; i++) serializer.writeFrame(Opcode.Binary, pattern(900, i));
    expect(serializer.take()?.length).toBe(1);
    const used = serializer.heldBytes;
    serializer.release();
    for (let i = 0; i < 20; i++) serializer.writeFrame(Opcode.Binary, pattern(900, i));
    // One buffer of the same size at once, rather than growing from the smallest again.
    expect(serializer.heldBytes).toBe(used);
    expect(serializer.take()?.length).toBe(1);
    serializer.release();
  });

  it("server: a retired empty serializer is handed out again by FrameSerializer.server, with the size asked for", () => {
    const first = FrameSerializer.server(256);
    first.writeText("abc");
    const chunks = first.take() ?? [];
    // Not empty while its bytes are in flight: retiring it then does nothing.
    first.retire();
    expect(FrameSerializer.server(256)).not.toBe(first);
    first.release();
    first.retire();
    const again = FrameSerializer.server(8192);
    expect(again).toBe(first);
    again.writeText("xyz");
    expect(again.heldBytes).toBe(8192);
    expect(decodeOutgoing("server", again.take() ?? [])).toEqual([
      rec(Opcode.Text, utf8Hex("xyz")),
    ]);
    expect(decodeOutgoing("server", chunks)).toEqual([rec(Opcode.Text, utf8Hex("abc"))]);
    again.release();
    // A client's serializer keeps its masking keys: never handed to a server session.
    const client = new FrameSerializer({ role: "client" });
    client.retire();
    expect(FrameSerializer.server(256)).not.toBe(client);
  });

  it("server: empty once released, and a successor made with its nextArenaSize starts the same size", () => {
    const serializer = new FrameSerializer({ role: "server" });
    expect(serializer.empty).toBe(true);
    for (let i = 0; i < 20; i++) serializer.writeFrame(Opcode.Binary, pattern(900, i));
    expect(serializer.empty).toBe(false);
    const chunks = serializer.take() ?? [];
    // Taken but not yet written: the buffer is still held.
    expect(serializer.empty).toBe(false);
    const used = serializer.heldBytes;
    serializer.release();
    expect(serializer.empty).toBe(true);
    expect(serializer.nextArenaSize).toBe(used);
    const successor = new FrameSerializer({ role: "server", arenaSize: serializer.nextArenaSize });
    successor.writeFrame(Opcode.Binary, pattern(900, 0));
    // The first frame already goes into a buffer of that size.
    expect(successor.heldBytes).toBe(used);
    for (let i = 1; i < 20; i++) successor.writeFrame(Opcode.Binary, pattern(900, i));
    expect(decodeOutgoing("server", successor.take() ?? [])).toEqual(
      decodeOutgoing("server", chunks),
    );
    successor.release();
  });

  for (const role of ROLES) {
    it(`${role}: more than the arena holds still comes out complete and in order`, () => {
      const serializer = new FrameSerializer({ role });
      for (let i = 0; i < 150; i++) serializer.writeFrame(Opcode.Binary, pattern(1000, i));
      const pending = serializer.pendingBytes;
      const chunks = serializer.take() ?? [];
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(pending);
      const frames = decodeOutgoing(role, chunks);
      expect(frames.length).toBe(150);
      frames.forEach((frame, i) => expect(frame.payload).toBe(toHex(pattern(1000, i))));
    });
  }

  it("server: payloads over 64 KiB are not copied; smaller ones are, 64 KiB with its 64-bit length", () => {
    const serializer = new FrameSerializer({ role: "server" });
    const large = pattern(64 * 1024 + 1);
    const small = pattern(64 * 1024);
    serializer.writeText("before");
    serializer.writeFrame(Opcode.Binary, large);
    serializer.writeText("after");
    serializer.writeFrame(Opcode.Binary, small);
    const chunks = serializer.take() ?? [];
    // A frame that does not fit the 64 KiB output buffer with what is pending gets one of its own.
    expect(chunks.map((chunk) => chunk.length)).toEqual([18, 65537, 7, 65546]);
    expect(chunks[1]).toBe(large);
    expect(chunks.some((chunk) => chunk === small)).toBe(false);
    expect(toHex(chunks[0]!)).toBe("8106" + utf8Hex("before") + "827f0000000000010001");
    expect(toHex(chunks[3]!.subarray(0, 10))).toBe("827f0000000000010000");
    expect(decodeOutgoing("server", chunks)).toEqual([
      rec(Opcode.Text, utf8Hex("before")),
      rec(Opcode.Binary, toHex(large)),
      rec(Opcode.Text, utf8Hex("after")),
      rec(Opcode.Binary, toHex(small)),
    ]);
  });

  it("server: a 64 KiB + 1 payload gets a 64-bit length header and is not copied", () => {
    const serializer = new FrameSerializer({ role: "server" });
    const payload = pattern(65537);
    serializer.writeFrame(Opcode.Binary, payload);
    const chunks = serializer.take() ?? [];
    expect(chunks.map((chunk) => chunk.length)).toEqual([10, 65537]);
    expect(toHex(chunks[0]!)).toBe("827f0000000000010001");
    expect(chunks[1]).toBe(payload);
  });

  it("client: payloads are always copied and masked, even large ones, and the caller's bytes stay as they were", () => {
    const serializer = new FrameSerializer({ role: "client" });
    const large = pattern(100_000);
    serializer.writeFrame(Opcode.Binary, large);
    serializer.writeFrame(Opcode.Binary, pattern(20_000));
    const chunks = serializer.take() ?? [];
    expect(chunks.some((chunk) => chunk === large || chunk.buffer === large.buffer)).toBe(false);
    expect(toHex(large)).toBe(toHex(pattern(100_000)));
    expect(decodeOutgoing("client", chunks)).toEqual([
      rec(Opcode.Binary, toHex(pattern(100_000))),
      rec(Opcode.Binary, toHex(pattern(20_000))),
    ]);
  });

  it("client: every frame gets a fresh masking key", () => {
    const serializer = new FrameSerializer({ role: "client" });
    for (let i = 0; i < 32; i++) serializer.writeText("same");
    const bytes = concat(...(serializer.take() ?? []));
    const keys = new Set<string>();
    for (let offset = 0; offset < bytes.length; offset += 2 + 4 + 4) {
      keys.add(toHex(bytes.subarray(offset + 2, offset + 6)));
    }
    expect(keys.size).toBe(32);
  });

  it("writes RSV1 when asked, for an extension", () => {
    const serializer = new FrameSerializer({ role: "server" });
    serializer.writeFrame(Opcode.Text, hex("41"), true, true);
    serializer.writeFrame(Opcode.Binary, hex("42"), false, true);
    expect(toHex(concat(...(serializer.take() ?? [])))).toBe("c10141" + "420142");
  });
});

describe("FrameSerializer.writeText at the length boundaries", () => {
  // Texts whose UTF-8 length is on either side of 125/126 and 65535/65536 while their UTF-16
  // length is far below: the header size guessed from text.length is too small, and the encoded
  // bytes have to be moved to make room for the longer header.
  const texts: [string, string, number][] = [
    ["62 × é + a", "é".repeat(62) + "a", 125],
    ["63 × é", "é".repeat(63), 126],
    ["41 × € + ab", "€".repeat(41) + "ab", 125],
    ["42 × €", "€".repeat(42), 126],
    ["31 × 🙂 + a", "🙂".repeat(31) + "a", 125],
    ["31 × 🙂 + ab", "🙂".repeat(31) + "ab", 126],
    ["a + 42 × €", "a" + "€".repeat(42), 127],
    ["125 × a", "a".repeat(125), 125],
    ["126 × a", "a".repeat(126), 126],
    ["32767 × é + a", "é".repeat(32767) + "a", 65535],
    ["32768 × é", "é".repeat(32768), 65536],
    ["21845 × €", "€".repeat(21845), 65535],
    ["21845 × € + a", "€".repeat(21845) + "a", 65536],
    ["16383 × 🙂 + abc", "🙂".repeat(16383) + "abc", 65535],
    ["16384 × 🙂", "🙂".repeat(16384), 65536],
  ];
  const field = (length: number) => length < 126 ? length : length < 65536 ? 126 : 127;

  for (const role of ROLES) {
    it(`${role} encodes texts of 125/126 and 65535/65536 UTF-8 bytes with the right header`, () => {
      for (const [, text, bytes] of texts) {
        expect(new TextEncoder().encode(text).length).toBe(bytes);
        const serializer = new FrameSerializer({ role });
        serializer.writeText(text);
        const pending = serializer.pendingBytes;
        const chunks = serializer.take() ?? [];
        const wire = concat(...chunks);
        expect(wire.length).toBe(pending);
        expect(lengthFields(wire)).toEqual([field(bytes)]);
        expect(decodeOutgoing(role, chunks)).toEqual([rec(Opcode.Text, utf8Hex(text))]);
      }
    });

    it(`${role} encodes boundary texts after other frames in the same arena, back to back`, () => {
      const serializer = new FrameSerializer({ role });
      serializer.writeFrame(Opcode.Binary, pattern(3));
      for (const [, text] of texts) {
        serializer.writeText(text);
        serializer.writeFrame(Opcode.Ping, hex("ee"));
      }
      const chunks = serializer.take() ?? [];
      const expected = [rec(Opcode.Binary, toHex(pattern(3)))];
      for (const [, text] of texts) {
        expected.push(rec(Opcode.Text, utf8Hex(text)), rec(Opcode.Ping, "ee"));
      }
      expect(decodeOutgoing(role, chunks)).toEqual(expected);
    });

    it(`${role} encodes a boundary text when the arena is almost full`, () => {
      for (const fill of [65536 - 200, 65536 - 131, 65536 - 130, 65536 - 129, 65536 - 20]) {
        const serializer = new FrameSerializer({ role });
        // Fill the arena with a frame that stays in it (masked, or at most 16 KiB a piece).
        let left = fill;
        const filler: string[] = [];
        while (left > 0) {
          const header = role === "client" ? 8 : 4;
          const length = Math.max(0, Math.min(16_000, left - header));
          serializer.writeFrame(Opcode.Binary, pattern(length, left));
          filler.push(toHex(pattern(length, left)));
          left -= length + header;
        }
        serializer.writeText("€".repeat(42));
        const frames = decodeOutgoing(role, serializer.take() ?? []);
        expect(frames.map((frame) => frame.payload)).toEqual([
          ...filler,
          utf8Hex("€".repeat(42)),
        ]);
      }
    });
  }

  it("server writes a non-final text fragment and a continuation at the 126-byte boundary", () => {
    const serializer = new FrameSerializer({ role: "server" });
    serializer.writeText("€".repeat(42), false);
    serializer.writeText("é".repeat(63), true, Opcode.Continuation);
    const wire = concat(...(serializer.take() ?? []));
    expect(toHex(wire.subarray(0, 4))).toBe("017e007e");
    expect(toHex(wire.subarray(130, 134))).toBe("807e007e");
    expect(wire.length).toBe(2 * 130);
  });

  it("server encodes lone surrogates as U+FFFD, as TextEncoder does", () => {
    const serializer = new FrameSerializer({ role: "server" });
    serializer.writeText("a\ud800b");
    expect(toHex(concat(...(serializer.take() ?? [])))).toBe("8105" + "61efbfbd62");
  });
});
