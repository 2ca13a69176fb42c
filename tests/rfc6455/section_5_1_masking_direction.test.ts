// rfc6455#section-5.1: a client masks every frame it sends, a server never does, and each side
// fails the connection on a frame masked the wrong way.
import { describe, expect, it } from "vitest";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { FrameSerializer } from "../../src/protocol/frame_serializer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import {
  clientFrame,
  closeFrameRecord,
  concat,
  failedWith,
  hex,
  parseChunks,
  parseEveryWay,
  rec,
  receiveEveryWay,
  serverFrame,
} from "../_helpers/hex.ts";

const UNMASKED_HELLO = "81 05 48 65 6c 6c 6f";
const MASKED_HELLO = "81 85 37 fa 21 3d 7f 9f 4d 51 58";

describe("rfc6455#section-5.1 server receiving", () => {
  it("rfc6455#section-5.1 server fails the connection with 1002 on an unmasked text frame, at its header", () => {
    const result = parseEveryWay(hex(UNMASKED_HELLO), { role: "server" });
    expect(result.frames).toEqual([]);
    expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    expect(result.error?.message).toContain("rfc6455#section-5.1");
    // Decided from the two header bytes, before any payload byte.
    expect(result.bytewiseFailedAt).toBe(2);
  });

  it("rfc6455#section-5.1 server fails with 1002 on unmasked control frames too", () => {
    for (const fixture of ["89 00", "8a 00", "88 00", "88 02 03e8", "89 05 48656c6c6f"]) {
      const result = parseEveryWay(hex(fixture), { role: "server" });
      expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
      expect(result.error?.message).toContain("rfc6455#section-5.1");
    }
  });

  it("rfc6455#section-5.1 server throws a ProtocolError instance for an unmasked frame", () => {
    const parser = new FrameParser({ role: "server" });
    expect(() => parser.push(hex(UNMASKED_HELLO), () => {})).toThrow(ProtocolError);
  });

  it("rfc6455#section-5.1 server session answers an unmasked frame with Close 1002 and reports closed 1002", () => {
    const result = receiveEveryWay(hex(UNMASKED_HELLO), { role: "server" });
    expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
    expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
  });

  it("rfc6455#section-5.1 server accepts masked frames with any key, including 00 00 00 00", () => {
    const withZeroKey = parseEveryWay(hex("81 85 00000000 48656c6c6f"), { role: "server" });
    expect(withZeroKey.frames).toEqual([rec(Opcode.Text, "48656c6c6f")]);
    const withKey = parseEveryWay(clientFrame(0x82, "00ff00ff", "ffffffff"), { role: "server" });
    expect(withKey.frames).toEqual([rec(Opcode.Binary, "00ff00ff")]);
  });

  it("rfc6455#section-5.1 server delivers the masked frames before an unmasked one in the same chunk", () => {
    const input = concat(hex(MASKED_HELLO), hex(UNMASKED_HELLO));
    const result = parseEveryWay(input, { role: "server" });
    expect(result.frames).toEqual([rec(Opcode.Text, "48656c6c6f")]);
    expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    expect(result.bytewiseFailedAt).toBe(11 + 2);
  });
});

describe("rfc6455#section-5.1 client receiving", () => {
  it("rfc6455#section-5.1 client fails the connection with 1002 on a masked text frame, at its header", () => {
    const result = parseEveryWay(hex(MASKED_HELLO), { role: "client" });
    expect(result.frames).toEqual([]);
    expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    expect(result.error?.message).toContain("rfc6455#section-5.1");
    // The header of a masked frame includes its four-byte key.
    expect(result.bytewiseFailedAt).toBe(6);
  });

  it("rfc6455#section-5.1 client fails with 1002 on masked control frames", () => {
    for (const b0 of [0x88, 0x89, 0x8a]) {
      const result = parseEveryWay(clientFrame(b0, ""), { role: "client" });
      expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
    }
  });

  it("rfc6455#section-5.1 client session answers a masked frame with a masked Close 1002", () => {
    const result = receiveEveryWay(hex(MASKED_HELLO), { role: "client" });
    expect(result.events).toEqual([failedWith("ProtocolError", 1002)]);
    // decodeOutgoing parses with a server parser: the Close is masked.
    expect(result.outgoing).toEqual([closeFrameRecord(1002)]);
  });

  it("rfc6455#section-5.1 client accepts unmasked frames", () => {
    const result = parseEveryWay(serverFrame(0x82, "0102"), { role: "client" });
    expect(result.frames).toEqual([rec(Opcode.Binary, "0102")]);
  });
});

describe("rfc6455#section-5.1 sending", () => {
  function writeEverything(serializer: FrameSerializer): Uint8Array {
    serializer.writeText("Hello");
    serializer.writeText("Hel", false);
    serializer.writeText("lo", true, Opcode.Continuation);
    serializer.writeFrame(Opcode.Binary, new Uint8Array(300));
    serializer.writeFrame(Opcode.Binary, new Uint8Array(70_000));
    serializer.writeFrame(Opcode.Ping, new Uint8Array(0));
    serializer.writeFrame(Opcode.Pong, hex("01"));
    serializer.writeFrame(Opcode.Close, hex("03e8"));
    return concat(...(serializer.take() ?? []));
  }

  it("rfc6455#section-5.1 client FrameSerializer masks every frame it writes (a server parser accepts them all)", () => {
    const bytes = writeEverything(new FrameSerializer({ role: "client" }));
    const byServer = parseChunks([bytes.slice()], { role: "server" });
    expect(byServer.error).toBeUndefined();
    expect(byServer.frames.map((frame) => frame.opcode)).toEqual([1, 1, 0, 2, 2, 9, 10, 8]);
    // And a client parser rejects the very first one.
    expect(parseChunks([bytes.slice()], { role: "client" }).error).toMatchObject({
      closeCode: 1002,
    });
  });

  it("rfc6455#section-5.1 server FrameSerializer never masks (a client parser accepts them all)", () => {
    const bytes = writeEverything(new FrameSerializer({ role: "server" }));
    const byClient = parseChunks([bytes.slice()], { role: "client" });
    expect(byClient.error).toBeUndefined();
    expect(byClient.frames.map((frame) => frame.opcode)).toEqual([1, 1, 0, 2, 2, 9, 10, 8]);
    expect(parseChunks([bytes.slice()], { role: "server" }).error).toMatchObject({
      closeCode: 1002,
    });
  });

  it("rfc6455#section-5.1 client session masks messages, pings and its Close; server session masks none", () => {
    for (const role of ["client", "server"] as const) {
      const session = new Session({ role });
      session.send("a");
      session.send(new Uint8Array([1]));
      session.ping("p");
      session.pong();
      session.close(1000);
      const bytes = concat(...(session.takeOutgoing() ?? []));
      let offset = 0;
      const maskBits: boolean[] = [];
      while (offset < bytes.length) {
        const b1 = bytes[offset + 1]!;
        maskBits.push((b1 & 0x80) !== 0);
        offset += 2 + (b1 & 0x7f) + ((b1 & 0x80) !== 0 ? 4 : 0);
      }
      expect(maskBits).toEqual(new Array(5).fill(role === "client"));
    }
  });
});
