// rfc6455#section-5.3: octet i of the masked payload is octet i of the payload XOR octet i MOD 4 of
// the masking key; clients draw a fresh, unpredictable key for every frame.
import { describe, expect, it } from "vitest";
import type { Frame } from "../../src/protocol/frame.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { FrameSerializer, serializeFrame } from "../../src/protocol/frame_serializer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import {
  clientFrame,
  concat,
  hex,
  maskHex,
  parseEveryWay,
  rec,
  receiveEveryWay,
  toHex,
} from "../_helpers/hex.ts";

function pattern(length: number, seed = 1): string {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 29 + seed) & 0xff;
  return toHex(data);
}

/** The frames of a client's output: header fields, the key and the bytes as sent. */
function splitMaskedFrames(bytes: Uint8Array): { key: string; wire: string; b0: number }[] {
  const frames: { key: string; wire: string; b0: number }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const b0 = bytes[offset]!;
    const b1 = bytes[offset + 1]!;
    expect(b1 & 0x80).toBe(0x80);
    let length = b1 & 0x7f;
    offset += 2;
    if (length === 126) {
      length = (bytes[offset]! << 8) | bytes[offset + 1]!;
      offset += 2;
    } else if (length === 127) {
      length = Number(new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getBigUint64(0));
      offset += 8;
    }
    const key = toHex(bytes.subarray(offset, offset + 4));
    offset += 4;
    frames.push({ key, wire: toHex(bytes.subarray(offset, offset + length)), b0 });
    offset += length;
  }
  return frames;
}

describe("rfc6455#section-5.3 unmasking on receipt", () => {
  it('rfc6455#section-5.3 server unmasks the RFC\'s masked "Hello" with key 37 fa 21 3d', () => {
    const result = parseEveryWay(hex("81 85 37 fa 21 3d 7f 9f 4d 51 58"), { role: "server" });
    expect(result.frames).toEqual([rec(Opcode.Text, "48 65 6c 6c 6f")]);
  });

  it("rfc6455#section-5.3 server unmasks a payload split at every byte, keeping the key offset across chunks", () => {
    // 300 bytes: long enough for the word-at-a-time path, and odd splits put every chunk at a
    // different key offset and alignment.
    for (const key of ["a1b2c3d4", "ff000000", "000000ff"]) {
      const payload = pattern(300, key.charCodeAt(0));
      const result = parseEveryWay(clientFrame(0x82, payload, key), { role: "server" });
      expect(result.frames).toEqual([rec(Opcode.Binary, payload)]);
    }
  });

  it("rfc6455#section-5.3 server unmasks each frame of a stream with that frame's own key", () => {
    const input = concat(
      clientFrame(0x01, pattern(40, 1), "01020304"),
      clientFrame(0x89, pattern(7, 2), "f0e0d0c0"),
      clientFrame(0x80, pattern(33, 3), "11223344"),
    );
    const result = parseEveryWay(input, { role: "server" });
    expect(result.frames).toEqual([
      rec(Opcode.Text, pattern(40, 1), { fin: false }),
      rec(Opcode.Ping, pattern(7, 2)),
      rec(Opcode.Continuation, pattern(33, 3)),
    ]);
  });

  it("rfc6455#section-5.3 server session echoes a Ping's unmasked application data in its Pong", () => {
    const data = pattern(125, 9);
    const result = receiveEveryWay(clientFrame(0x89, data, "deadbeef"), { role: "server" });
    expect(result.events).toEqual([{ type: "ping", data }]);
    expect(result.outgoing).toEqual([rec(Opcode.Pong, data)]);
  });

  it("rfc6455#section-5.3 server unmasks a large payload that arrives in many chunks at odd offsets", () => {
    const payload = pattern(70_000, 5);
    const input = clientFrame(0x82, payload, "5a5b5c5d");
    const parser = new FrameParser({ role: "server" });
    const frames: Frame[] = [];
    for (let at = 0, step = 1; at < input.length; at += step, step = (step * 7 + 3) % 997 + 1) {
      parser.push(input.slice(at, at + step), (frame) => frames.push(frame));
    }
    expect(frames.length).toBe(1);
    expect(toHex(frames[0]!.payload)).toBe(payload);
  });
});

describe("rfc6455#section-5.3 masking on sending", () => {
  const flags = { fin: true, rsv1: false, rsv2: false, rsv3: false } as const;

  it("rfc6455#section-5.3 serializeFrame masks with the given key by the definition, leaving the payload alone", () => {
    for (const length of [0, 1, 3, 4, 5, 31, 32, 33, 125, 126, 1000]) {
      const payload = hex(pattern(length));
      const bytes = serializeFrame({ ...flags, opcode: Opcode.Binary, payload }, hex("37fa213d"));
      const [frame] = splitMaskedFrames(bytes);
      expect(frame?.key).toBe("37fa213d");
      expect(frame?.wire).toBe(maskHex("37fa213d", pattern(length)));
      expect(toHex(payload)).toBe(pattern(length));
    }
  });

  it("rfc6455#section-5.3 client FrameSerializer masks every frame with a fresh key and never changes the caller's payload", () => {
    const serializer = new FrameSerializer({ role: "client" });
    const payloads = Array.from({ length: 64 }, (_, i) => hex(pattern(i * 3, i)));
    for (const payload of payloads) serializer.writeFrame(Opcode.Binary, payload);
    const frames = splitMaskedFrames(concat(...(serializer.take() ?? [])));
    expect(frames.length).toBe(64);
    frames.forEach((frame, i) => {
      expect(frame.wire).toBe(maskHex(frame.key, pattern(i * 3, i)));
      expect(toHex(payloads[i]!)).toBe(pattern(i * 3, i));
    });
    // 64 random 32-bit keys: a repeat has a probability below 1e-6.
    expect(new Set(frames.map((frame) => frame.key)).size).toBe(64);
  });

  it("rfc6455#section-5.3 client FrameSerializer masks text, and frames too large for its buffer", () => {
    const serializer = new FrameSerializer({ role: "client" });
    const big = hex(pattern(100_000, 7));
    serializer.writeText("héllo wörld");
    serializer.writeFrame(Opcode.Binary, big);
    serializer.writeText("€".repeat(30_000));
    const frames = splitMaskedFrames(concat(...(serializer.take() ?? [])));
    expect(frames.map((frame) => frame.b0)).toEqual([0x81, 0x82, 0x81]);
    const plain = frames.map((frame) => maskHex(frame.key, frame.wire));
    expect(plain[0]).toBe(toHex(new TextEncoder().encode("héllo wörld")));
    expect(plain[1]).toBe(pattern(100_000, 7));
    expect(plain[2]).toBe(toHex(new TextEncoder().encode("€".repeat(30_000))));
    expect(toHex(big)).toBe(pattern(100_000, 7));
    expect(new Set(frames.map((frame) => frame.key)).size).toBe(3);
  });

  it("rfc6455#section-5.3 client session masks its messages with fresh keys", () => {
    const session = new Session({ role: "client" });
    const data = hex(pattern(50));
    session.send(data);
    session.send(data);
    const frames = splitMaskedFrames(concat(...(session.takeOutgoing() ?? [])));
    expect(frames.map((frame) => maskHex(frame.key, frame.wire))).toEqual([
      pattern(50),
      pattern(50),
    ]);
    expect(frames[0]!.key).not.toBe(frames[1]!.key);
    expect(toHex(data)).toBe(pattern(50));
  });
});
