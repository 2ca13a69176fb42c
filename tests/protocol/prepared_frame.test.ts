// PreparedFrame: one frame serialized once, byte-identical to what the serializer writes for the
// same message, at every length encoding; written masked by a client session.
import { describe, expect, it } from "vitest";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { serializeFrame } from "../../src/protocol/frame_serializer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { PREPARED_WHOLE_LIMIT, PreparedFrame } from "../../src/protocol/prepared_frame.ts";
import { Session } from "../../src/protocol/session.ts";

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

describe("PreparedFrame", () => {
  for (const length of [0, 125, 126, 65_535, 65_536, 70_000]) {
    it(`rfc6455#section-5.2: a ${length}-byte payload is the serializer's frame, minimal length`, () => {
      const payload = new Uint8Array(length).map((_, i) => i);
      const frame = new PreparedFrame(Opcode.Binary, payload);
      const expected = serializeFrame({
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: Opcode.Binary,
        payload,
      });
      expect(frame.whole).toBe(length <= PREPARED_WHOLE_LIMIT);
      const session = new Session({ role: "server" });
      session.send("before");
      session.sendPrepared(frame);
      session.send("after");
      const bytes = concat(session.takeOutgoing()!);
      const before = serializeFrame({
        fin: true,
        rsv1: false,
        rsv2: false,
        rsv3: false,
        opcode: Opcode.Text,
        payload: new TextEncoder().encode("before"),
      });
      expect(bytes.subarray(before.length, before.length + expected.length)).toEqual(expected);
    });
  }

  it("encodes text once, as UTF-8, with the Text opcode", () => {
    const frame = PreparedFrame.of("é");
    expect(frame.opcode).toBe(Opcode.Text);
    expect([...frame.bytes]).toEqual([0x81, 0x02, 0xc3, 0xa9]);
  });

  it("rfc6455#section-5.3: a client session masks a prepared frame like any other", () => {
    const frame = PreparedFrame.of("masked");
    const client = new Session({ role: "client" });
    client.sendPrepared(frame);
    const bytes = concat(client.takeOutgoing()!);
    expect(bytes[1]! & 0x80).toBe(0x80);
    const frames: string[] = [];
    new FrameParser({ role: "server" }).push(bytes, (f) => {
      frames.push(new TextDecoder().decode(f.payload));
    });
    expect(frames).toEqual(["masked"]);
    expect(new TextDecoder().decode(frame.payload)).toBe("masked"); // not changed
  });

  it("refuses control opcodes", () => {
    expect(() => new PreparedFrame(Opcode.Ping, new Uint8Array())).toThrow(RangeError);
  });
});
