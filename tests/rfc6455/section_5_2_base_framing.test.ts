// rfc6455#section-5.2: the base framing protocol — FIN, RSV1-3, opcodes, the 7/16/64-bit payload
// length, and what a receiver must do with each.
import { describe, expect, it } from "vitest";
import { MessageTooBigError, ProtocolError } from "../../src/protocol/errors.ts";
import type { Role } from "../../src/protocol/frame.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { serializeFrame } from "../../src/protocol/frame_serializer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import {
  closeFrameRecord,
  concat,
  failedWith,
  frameFrom,
  hex,
  parseChunks,
  parseEveryWay,
  peerOf,
  range,
  rec,
  receiveEveryWay,
  toHex,
} from "../_helpers/hex.ts";

const ROLES: readonly Role[] = ["server", "client"];
const RESERVED_OPCODES = [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf];
const HELLO = "48656c6c6f";

/** A header announcing `lengthHex` (7-bit field, then 16- or 64-bit extension) sent to `role`. */
function headerTo(role: Role, b0: number, b1Length: number, extendedHex = ""): Uint8Array {
  const masked = role === "server";
  return concat(
    new Uint8Array([b0, (masked ? 0x80 : 0) | b1Length]),
    hex(extendedHex),
    masked ? hex("00000000") : new Uint8Array(0),
  );
}

function pattern(length: number): string {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 31 + 1) & 0xff;
  return toHex(data);
}

describe("rfc6455#section-5.2 opcodes", () => {
  for (const role of ROLES) {
    it(`rfc6455#section-5.2 ${role} fails the connection with 1002 on every reserved opcode (3-7, B-F)`, () => {
      for (const opcode of RESERVED_OPCODES) {
        for (const fin of [0x80, 0x00]) {
          const result = parseEveryWay(frameFrom(peerOf(role), fin | opcode, HELLO), { role });
          expect(result.frames).toEqual([]);
          expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
          expect(result.error?.message).toContain(`opcode 0x${opcode.toString(16)} is reserved`);
          expect(result.error?.message).toContain("rfc6455#section-5.2");
        }
      }
    });

    it(`rfc6455#section-5.2 ${role} session sends Close 1002 on a reserved opcode`, () => {
      const result = receiveEveryWay(frameFrom(peerOf(role), 0x83, ""), { role });
      expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
      expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
    });
  }

  it("rfc6455#section-5.2 server accepts each of the six defined opcodes in a valid order", () => {
    const input = concat(
      frameFrom("client", 0x01, "41"),
      frameFrom("client", 0x80, "42"),
      frameFrom("client", 0x82, "43"),
      frameFrom("client", 0x89, ""),
      frameFrom("client", 0x8a, ""),
      frameFrom("client", 0x88, ""),
    );
    const result = parseEveryWay(input, { role: "server" });
    expect(result.error).toBeUndefined();
    expect(result.frames.map((frame) => frame.opcode)).toEqual([1, 0, 2, 9, 10, 8]);
  });
});

describe("rfc6455#section-5.2 reserved bits", () => {
  for (const role of ROLES) {
    for (const [name, bit] of [["RSV1", 0x40], ["RSV2", 0x20], ["RSV3", 0x10]] as const) {
      it(`rfc6455#section-5.2 ${role} fails with 1002 on ${name} set without a negotiated extension`, () => {
        for (const opcode of [0x1, 0x2, 0x9, 0xa, 0x8]) {
          const result = parseEveryWay(frameFrom(peerOf(role), 0x80 | bit | opcode, ""), { role });
          expect(result.frames).toEqual([]);
          expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
          expect(result.error?.message).toContain("rfc6455#section-5.2");
        }
      });
    }
  }

  it("rfc6455#section-5.2 server session (no extension) sends Close 1002 on RSV1", () => {
    const result = receiveEveryWay(frameFrom("client", 0xc1, HELLO), { role: "server" });
    expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
    expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
  });

  it("rfc7692#section-6 server with rsv1: true accepts RSV1 on the first frame of text and binary messages", () => {
    const input = concat(
      frameFrom("client", 0xc1, HELLO),
      frameFrom("client", 0xc2, "00"),
      frameFrom("client", 0x41, "41"),
      frameFrom("client", 0x80, "42"),
    );
    const result = parseEveryWay(input, { role: "server", rsv1: true });
    expect(result.error).toBeUndefined();
    expect(result.frames).toEqual([
      rec(Opcode.Text, HELLO, { rsv1: true }),
      rec(Opcode.Binary, "00", { rsv1: true }),
      rec(Opcode.Text, "41", { rsv1: true, fin: false }),
      rec(Opcode.Continuation, "42"),
    ]);
  });

  it("rfc7692#section-6 client with rsv1: true fails with 1002 on RSV1 on a continuation frame", () => {
    const input = concat(frameFrom("server", 0x41, "41"), frameFrom("server", 0xc0, "42"));
    const result = parseEveryWay(input, { role: "client", rsv1: true });
    expect(result.frames).toEqual([rec(Opcode.Text, "41", { rsv1: true, fin: false })]);
    expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    expect(result.error?.message).toContain("rfc7692#section-6");
  });

  it("rfc7692#section-6 server with rsv1: true fails with 1002 on RSV1 on a control frame", () => {
    for (const b0 of [0xc8, 0xc9, 0xca]) {
      const result = parseEveryWay(frameFrom("client", b0, ""), { role: "server", rsv1: true });
      expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    }
  });

  it("rfc6455#section-5.2 server with rsv1: true still fails with 1002 on RSV2 and RSV3", () => {
    for (const b0 of [0xa1, 0x91, 0xe1, 0xf1, 0xd1]) {
      const result = parseEveryWay(frameFrom("client", b0, ""), { role: "server", rsv1: true });
      expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
      expect(result.error?.message).toContain("rfc6455#section-5.2");
    }
  });
});

describe("rfc6455#section-5.2 payload length", () => {
  // The 7-bit, 16-bit and 64-bit encodings and the edges between them.
  const boundaries: [number, string][] = [
    [0, "00"],
    [1, "01"],
    [125, "7d"],
    [126, "7e 007e"],
    [127, "7e 007f"],
    [65535, "7e ffff"],
    [65536, "7f 0000000000010000"],
    [65537, "7f 0000000000010001"],
  ];

  for (const role of ROLES) {
    it(`rfc6455#section-5.2 ${role} reads 7-, 16- and 64-bit lengths at 0, 125, 126, 65535 and 65536`, () => {
      for (const [length, field] of boundaries) {
        const payload = pattern(length);
        const input = frameFrom(peerOf(role), 0x82, payload);
        const masked = role === "server" ? 0x80 : 0;
        const fieldBytes = hex(field);
        fieldBytes[0] = fieldBytes[0]! | masked;
        expect(toHex(input.subarray(1, 1 + fieldBytes.length))).toBe(toHex(fieldBytes));
        // Every split inside the header and around the payload's ends; one byte at a time.
        const splits = [
          ...range(1, Math.min(input.length, 20)),
          ...range(Math.max(20, input.length - 5), input.length),
        ];
        const result = parseEveryWay(input, { role }, { splitPoints: splits });
        expect(result.error).toBeUndefined();
        expect(result.frames).toEqual([rec(Opcode.Binary, payload)]);
      }
    });
  }

  it("rfc6455#section-5.2 serializeFrame uses the minimal length encoding at every boundary", () => {
    for (const [length, field] of boundaries) {
      const bytes = serializeFrame({
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: Opcode.Binary,
        payload: new Uint8Array(length),
      });
      expect(toHex(bytes.subarray(1, 1 + hex(field).length))).toBe(toHex(hex(field)));
      expect(bytes.length).toBe(1 + hex(field).length + length);
    }
  });

  it("rfc6455#section-5.2 client accepts a non-minimal length encoding (the minimal-length rule binds senders)", () => {
    const input = concat(hex("82 7e 0003 010203"), hex("82 7f 0000000000000002 0405"));
    const result = parseEveryWay(input, { role: "client" });
    expect(result.error).toBeUndefined();
    expect(result.frames).toEqual([rec(Opcode.Binary, "010203"), rec(Opcode.Binary, "0405")]);
  });

  for (const role of ROLES) {
    it(`rfc6455#section-5.2 ${role} fails with 1002 when the most significant bit of a 64-bit length is set`, () => {
      for (const length of ["8000000000000000", "8000000000000005", "ffffffffffffffff"]) {
        const header = headerTo(role, 0x82, 127, length);
        const result = parseEveryWay(concat(header, hex("0102030405")), { role });
        expect(result.frames).toEqual([]);
        expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
        expect(result.error?.message).toContain("most significant bit");
        expect(result.bytewiseFailedAt).toBe(header.length);
      }
    });

    it(`rfc6455#section-5.2 ${role} fails with 1009 on 64-bit lengths near 2^63 and past 2^53, from the header alone`, () => {
      const lengths = [
        "7fffffffffffffff", // 2^63 - 1
        "4000000000000000",
        "0020000000000001", // 2^53 + 1
        "0020000000000000", // 2^53
        "001fffffffffffff", // 2^53 - 1
        "0000000100000000", // 2^32
      ];
      for (const length of lengths) {
        // Just the header: a parser that waited for (or allocated) the payload would not fail.
        const header = headerTo(role, 0x82, 127, length);
        const parser = new FrameParser({ role });
        let error: unknown;
        try {
          parser.push(header, () => {});
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(MessageTooBigError);
        expect(error).toMatchObject({ closeCode: 1009 });
        // And every chunking of the header agrees.
        const result = parseEveryWay(header, { role });
        expect(result.error).toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
      }
    });
  }

  it("rfc6455#section-5.2 server reads the high 32 bits of a 64-bit length exactly", () => {
    // 2^32 + 1 against a limit of 2^32: off by one, and only visible if the high word counts.
    const limits = { maxFrameSize: 2 ** 32, maxMessageSize: 2 ** 40 };
    const over = headerTo("server", 0x82, 127, "0000000100000001");
    const failed = parseChunks([over], { role: "server", limits });
    expect(failed.error).toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
    expect(failed.error?.message).toContain("4294967297");
    // Exactly at the limit the header is accepted and the parser waits for the payload.
    const parser = new FrameParser({ role: "server", limits });
    parser.push(headerTo("server", 0x82, 127, "0000000100000000"), () => {});
    expect(parser.idle).toBe(false);
  });
});

describe("rfc6455#section-5.2 lengths at the largest allowed limit", () => {
  const huge = { maxFrameSize: Number.MAX_SAFE_INTEGER, maxMessageSize: Number.MAX_SAFE_INTEGER };

  it("rfc6455#section-5.2 client accepts a 2^53 - 1 length header when the limits allow it", () => {
    const parser = new FrameParser({ role: "client", limits: huge });
    parser.push(headerTo("client", 0x82, 127, "001fffffffffffff"), () => {});
    expect(parser.idle).toBe(false);
  });

  // Regression: lengths >= 2^53 used to be clamped to 2^53 - 1, which passed this limit, so a
  // 2^53 or 2^62 frame was silently read as 2^53 - 1 bytes long.
  it("rfc6455#section-5.2 client fails with 1009 on 64-bit lengths >= 2^53 even with maxFrameSize = Number.MAX_SAFE_INTEGER", () => {
    for (const length of ["0020000000000000", "4000000000000000", "7fffffffffffffff"]) {
      const result = parseChunks([headerTo("client", 0x82, 127, length)], {
        role: "client",
        limits: huge,
      });
      expect(result.error).toMatchObject({ name: "MessageTooBigError", closeCode: 1009 });
    }
  });
});

describe("rfc6455#section-5.2 FIN", () => {
  it("rfc6455#section-5.2 client reports FIN as sent, on data frames", () => {
    const input = concat(frameFrom("server", 0x02, "01"), frameFrom("server", 0x80, "02"));
    const result = parseEveryWay(input, { role: "client" });
    expect(result.frames).toEqual([
      rec(Opcode.Binary, "01", { fin: false }),
      rec(Opcode.Continuation, "02", { fin: true }),
    ]);
  });
});

describe("rfc6455#section-5.2 errors carry their class", () => {
  it("rfc6455#section-5.2 server throws ProtocolError instances for framing errors", () => {
    for (const fixture of [frameFrom("client", 0x83, ""), frameFrom("client", 0xa1, "")]) {
      const parser = new FrameParser({ role: "server" });
      expect(() => parser.push(fixture, () => {})).toThrow(ProtocolError);
    }
  });
});
