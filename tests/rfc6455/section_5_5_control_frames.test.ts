// rfc6455#section-5.5: control frames (Close, Ping, Pong) carry at most 125 bytes, are never
// fragmented, and a Ping is answered by a Pong with identical application data.
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../src/protocol/errors.ts";
import type { Role } from "../../src/protocol/frame.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import {
  closeFrameRecord,
  concat,
  decodeOutgoing,
  failedWith,
  frameFrom,
  hex,
  parseEveryWay,
  peerOf,
  rec,
  receiveEveryWay,
  toHex,
  utf8Hex,
} from "../_helpers/hex.ts";

const ROLES: readonly Role[] = ["server", "client"];
const CONTROL = [[0x8, "Close"], [0x9, "Ping"], [0xa, "Pong"]] as const;

function pattern(length: number): string {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 13 + 200) & 0xff;
  return toHex(data);
}

describe("rfc6455#section-5.5 payload length", () => {
  for (const role of ROLES) {
    const from = peerOf(role);
    for (const [opcode, name] of CONTROL) {
      it(`rfc6455#section-5.5 ${role} fails the connection with 1002 on a 126-byte ${name}, at its header`, () => {
        const input = frameFrom(from, 0x80 | opcode, pattern(126));
        const result = parseEveryWay(input, { role });
        expect(result.frames).toEqual([]);
        expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
        expect(result.error?.message).toContain("rfc6455#section-5.5");
        // 2 bytes, the 16-bit length, and the key when masked: none of the payload.
        expect(result.bytewiseFailedAt).toBe(role === "server" ? 8 : 4);
      });
    }

    it(`rfc6455#section-5.5 ${role} fails with 1002 on a Ping with a 64-bit length field`, () => {
      const masked = role === "server";
      const input = concat(
        hex(masked ? "89 ff" : "89 7f"),
        hex("0000000000000005"),
        hex(masked ? "00000000" : ""),
        hex("0102030405"),
      );
      const result = parseEveryWay(input, { role });
      expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    });

    it(`rfc6455#section-5.5 ${role} session sends Close 1002 on a 126-byte Ping and no Pong`, () => {
      const result = receiveEveryWay(frameFrom(from, 0x89, pattern(126)), { role });
      expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
      expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
    });

    it(`rfc6455#section-5.5 ${role} accepts control frames of exactly 125 bytes`, () => {
      const input = concat(
        frameFrom(from, 0x89, pattern(125)),
        frameFrom(from, 0x8a, pattern(125)),
        frameFrom(from, 0x88, "03e8" + utf8Hex("r".repeat(123))),
      );
      const result = parseEveryWay(input, { role });
      expect(result.error).toBeUndefined();
      expect(result.frames.map((frame) => frame.payload.length / 2)).toEqual([125, 125, 125]);
    });
  }
});

describe("rfc6455#section-5.5 fragmentation", () => {
  for (const role of ROLES) {
    const from = peerOf(role);
    for (const [opcode, name] of CONTROL) {
      it(`rfc6455#section-5.5 ${role} fails with 1002 on a fragmented ${name} (FIN clear)`, () => {
        const result = parseEveryWay(frameFrom(from, opcode, "01"), { role });
        expect(result.frames).toEqual([]);
        expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
        expect(result.error?.message).toContain("never fragmented");
      });
    }

    it(`rfc6455#section-5.5 ${role} fails with 1002 on a fragmented Ping between data fragments`, () => {
      const input = concat(
        frameFrom(from, 0x01, "41"),
        frameFrom(from, 0x09, "01"),
        frameFrom(from, 0x80, "01"),
      );
      const result = parseEveryWay(input, { role });
      expect(result.frames).toEqual([rec(Opcode.Text, "41", { fin: false })]);
      expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    });
  }

  it("rfc6455#section-5.5 server throws a ProtocolError instance for a fragmented Ping", () => {
    const parser = new FrameParser({ role: "server" });
    expect(() => parser.push(frameFrom("client", 0x09, ""), () => {})).toThrow(ProtocolError);
  });

  it("rfc6455#section-5.5 server session sends Close 1002 on a fragmented Close", () => {
    const result = receiveEveryWay(frameFrom("client", 0x08, "03e8"), { role: "server" });
    expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
    expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
  });
});

describe("rfc6455#section-5.5.2 Ping and rfc6455#section-5.5.3 Pong", () => {
  for (const role of ROLES) {
    const from = peerOf(role);

    it(`rfc6455#section-5.5.2 ${role} session answers each Ping with a Pong carrying identical application data`, () => {
      const payloads = ["", "00", "fffefd", utf8Hex("ping?"), pattern(125)];
      const input = concat(...payloads.map((data) => frameFrom(from, 0x89, data)));
      const result = receiveEveryWay(input, { role });
      expect(result.events).toEqual(payloads.map((data) => ({ type: "ping", data })));
      expect(result.outgoing).toEqual(payloads.map((data) => rec(Opcode.Pong, data)));
    });

    it(`rfc6455#section-5.5.3 ${role} session reports an unsolicited Pong and does not answer it`, () => {
      const result = receiveEveryWay(frameFrom(from, 0x8a, "0102"), { role });
      expect(result.events).toEqual([{ type: "pong", data: "0102" }]);
      expect(result.outgoing).toEqual([]);
    });
  }

  it("rfc6455#section-5.5.2 server session's Pong is not changed by later bytes in the same chunk buffer", () => {
    const session = new Session({ role: "server" });
    const chunk = concat(frameFrom("client", 0x89, "0a0b0c"), frameFrom("client", 0x82, "00"));
    session.receive(chunk);
    chunk.fill(0xee);
    expect(decodeOutgoing("server", session.takeOutgoing() ?? [])).toEqual([
      rec(Opcode.Pong, "0a0b0c"),
    ]);
  });

  it("rfc6455#section-5.5 session.ping and session.pong refuse more than 125 bytes with a RangeError", () => {
    const session = new Session({ role: "client" });
    session.ping(new Uint8Array(125));
    session.pong("x".repeat(125));
    expect(() => session.ping(new Uint8Array(126))).toThrow(RangeError);
    expect(() => session.pong("é".repeat(63))).toThrow(RangeError); // 126 bytes of UTF-8
    expect(decodeOutgoing("client", session.takeOutgoing() ?? [])).toEqual([
      rec(Opcode.Ping, "00".repeat(125)),
      rec(Opcode.Pong, utf8Hex("x".repeat(125))),
    ]);
  });
});

describe("rfc6455#section-5.5.1 Close", () => {
  for (const role of ROLES) {
    it(`rfc6455#section-5.5.1 ${role} fails with 1002 on a Close with a 1-byte payload`, () => {
      const result = receiveEveryWay(frameFrom(peerOf(role), 0x88, "03"), { role });
      expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
      expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
    });
  }

  it("rfc6455#section-5.5.1 client parser passes a Close frame's payload through; the session reads it", () => {
    const result = parseEveryWay(frameFrom("server", 0x88, "03e8" + utf8Hex("bye")), {
      role: "client",
    });
    expect(result.frames).toEqual([rec(Opcode.Close, "03e8" + utf8Hex("bye"))]);
  });
});
