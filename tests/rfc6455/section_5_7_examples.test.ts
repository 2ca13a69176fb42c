// The examples of rfc6455#section-5.7, byte for byte, in both directions: parsed (whole, split at
// every byte boundary, one byte at a time) and produced by the serializer.
import { describe, expect, it } from "vitest";
import { FrameSerializer, serializeFrame } from "../../src/protocol/frame_serializer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { concat, hex, parseEveryWay, range, rec, receiveEveryWay, toHex } from "../_helpers/hex.ts";

const KEY = hex("37 fa 21 3d");
const HELLO = "48 65 6c 6c 6f";
const flags = { rsv1: false, rsv2: false, rsv3: false } as const;

// rfc6455#section-5.7, in the RFC's order.
const SINGLE_UNMASKED_TEXT = "81 05 48 65 6c 6c 6f";
const SINGLE_MASKED_TEXT = "81 85 37 fa 21 3d 7f 9f 4d 51 58";
const FRAGMENTED_UNMASKED_TEXT = "01 03 48 65 6c  80 02 6c 6f";
const UNMASKED_PING = "89 05 48 65 6c 6c 6f";
const MASKED_PONG = "8a 85 37 fa 21 3d 7f 9f 4d 51 58";

function pattern(length: number): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 7 + 3) & 0xff;
  return data;
}

const DATA_256 = pattern(256);
const BINARY_256 = concat(hex("82 7e 0100"), DATA_256);
const DATA_64K = pattern(65536);
const BINARY_64K = concat(hex("82 7f 0000000000010000"), DATA_64K);
// Every boundary in the header and near both ends of the payload, and every 509th in between: a
// split anywhere inside a long payload takes the same code path, and 65 546 copies of 64 KiB
// would make this one test take longer than the rest of the suite.
const SPLITS_64K = [
  ...range(1, 80),
  ...range(80, BINARY_64K.length - 80).filter((at) => at % 509 === 0),
  ...range(BINARY_64K.length - 80, BINARY_64K.length),
];

describe("rfc6455#section-5.7 examples, received", () => {
  it('rfc6455#section-5.7 client parses a single-frame unmasked text message "Hello"', () => {
    const result = parseEveryWay(hex(SINGLE_UNMASKED_TEXT), { role: "client" });
    expect(result.frames).toEqual([rec(Opcode.Text, HELLO)]);
    expect(result.error).toBeUndefined();
  });

  it('rfc6455#section-5.7 client session receives the single-frame unmasked "Hello" as a message', () => {
    const result = receiveEveryWay(hex(SINGLE_UNMASKED_TEXT), { role: "client" });
    expect(result.events).toEqual([{ type: "message", text: "Hello" }]);
    expect(result.outgoing).toEqual([]);
  });

  it('rfc6455#section-5.7 server parses a single-frame masked text message "Hello"', () => {
    const result = parseEveryWay(hex(SINGLE_MASKED_TEXT), { role: "server" });
    expect(result.frames).toEqual([rec(Opcode.Text, HELLO)]);
    expect(result.error).toBeUndefined();
  });

  it('rfc6455#section-5.7 server session receives the masked "Hello" as a message', () => {
    const result = receiveEveryWay(hex(SINGLE_MASKED_TEXT), { role: "server" });
    expect(result.events).toEqual([{ type: "message", text: "Hello" }]);
    expect(result.outgoing).toEqual([]);
  });

  it('rfc6455#section-5.7 client parses the fragmented unmasked text "Hel" + "lo"', () => {
    const result = parseEveryWay(hex(FRAGMENTED_UNMASKED_TEXT), { role: "client" });
    expect(result.frames).toEqual([
      rec(Opcode.Text, "48 65 6c", { fin: false }),
      rec(Opcode.Continuation, "6c 6f"),
    ]);
    expect(result.error).toBeUndefined();
  });

  it('rfc6455#section-5.7 client session assembles "Hel" + "lo" into one message', () => {
    const result = receiveEveryWay(hex(FRAGMENTED_UNMASKED_TEXT), { role: "client" });
    expect(result.events).toEqual([{ type: "message", text: "Hello" }]);
  });

  it('rfc6455#section-5.7 client parses an unmasked Ping "Hello"', () => {
    const result = parseEveryWay(hex(UNMASKED_PING), { role: "client" });
    expect(result.frames).toEqual([rec(Opcode.Ping, HELLO)]);
  });

  it('rfc6455#section-5.7 client session answers the unmasked Ping "Hello" with a masked Pong "Hello"', () => {
    const result = receiveEveryWay(hex(UNMASKED_PING), { role: "client" });
    expect(result.events).toEqual([{ type: "ping", data: "48656c6c6f" }]);
    // decodeOutgoing parses with a server parser, which accepts only masked frames.
    expect(result.outgoing).toEqual([rec(Opcode.Pong, HELLO)]);
  });

  it('rfc6455#section-5.7 server parses a masked Pong "Hello"', () => {
    const result = parseEveryWay(hex(MASKED_PONG), { role: "server" });
    expect(result.frames).toEqual([rec(Opcode.Pong, HELLO)]);
  });

  it('rfc6455#section-5.7 server session reports the masked Pong "Hello" and writes nothing', () => {
    const result = receiveEveryWay(hex(MASKED_PONG), { role: "server" });
    expect(result.events).toEqual([{ type: "pong", data: "48656c6c6f" }]);
    expect(result.outgoing).toEqual([]);
  });

  it("rfc6455#section-5.7 client parses 256 bytes of binary in a single unmasked frame (16-bit length)", () => {
    const result = parseEveryWay(BINARY_256, { role: "client" });
    expect(result.frames).toEqual([rec(Opcode.Binary, toHex(DATA_256))]);
  });

  it("rfc6455#section-5.7 client session receives the 256-byte binary message", () => {
    const result = receiveEveryWay(BINARY_256, { role: "client" });
    expect(result.events).toEqual([{ type: "message", binary: toHex(DATA_256) }]);
  });

  it("rfc6455#section-5.7 client parses 64 KiB of binary in a single unmasked frame (64-bit length), split at every header and sampled payload boundary", () => {
    const result = parseEveryWay(BINARY_64K, { role: "client" }, { splitPoints: SPLITS_64K });
    expect(result.frames).toEqual([rec(Opcode.Binary, toHex(DATA_64K))]);
  });

  it("rfc6455#section-5.7 client session receives the 64 KiB binary message", () => {
    const result = receiveEveryWay(BINARY_64K, { role: "client" }, { splitPoints: SPLITS_64K });
    expect(result.events).toEqual([{ type: "message", binary: toHex(DATA_64K) }]);
  });
});

describe("rfc6455#section-5.7 examples, sent", () => {
  it("rfc6455#section-5.7 serializeFrame writes the unmasked examples byte for byte", () => {
    const text = (fin: boolean, opcode: Opcode, payload: string) =>
      toHex(serializeFrame({ ...flags, fin, opcode, payload: hex(payload) }));
    expect(text(true, Opcode.Text, HELLO)).toBe(toHex(hex(SINGLE_UNMASKED_TEXT)));
    expect(text(false, Opcode.Text, "48 65 6c") + text(true, Opcode.Continuation, "6c 6f"))
      .toBe(toHex(hex(FRAGMENTED_UNMASKED_TEXT)));
    expect(text(true, Opcode.Ping, HELLO)).toBe(toHex(hex(UNMASKED_PING)));
    expect(toHex(serializeFrame({ ...flags, fin: true, opcode: Opcode.Binary, payload: DATA_256 })))
      .toBe(toHex(BINARY_256));
    expect(toHex(serializeFrame({ ...flags, fin: true, opcode: Opcode.Binary, payload: DATA_64K })))
      .toBe(toHex(BINARY_64K));
  });

  it("rfc6455#section-5.7 serializeFrame with the key 37 fa 21 3d writes the masked examples byte for byte", () => {
    const payload = hex(HELLO);
    expect(toHex(serializeFrame({ ...flags, fin: true, opcode: Opcode.Text, payload }, KEY)))
      .toBe(toHex(hex(SINGLE_MASKED_TEXT)));
    expect(toHex(serializeFrame({ ...flags, fin: true, opcode: Opcode.Pong, payload }, KEY)))
      .toBe(toHex(hex(MASKED_PONG)));
    expect(toHex(payload)).toBe(toHex(hex(HELLO))); // the caller's payload is not masked
  });

  it("rfc6455#section-5.7 server FrameSerializer writes the unmasked examples byte for byte", () => {
    const serializer = new FrameSerializer({ role: "server" });
    const taken = (): string => toHex(concat(...(serializer.take() ?? [])));
    serializer.writeText("Hello");
    expect(taken()).toBe(toHex(hex(SINGLE_UNMASKED_TEXT)));
    serializer.writeText("Hel", false);
    serializer.writeFrame(Opcode.Continuation, new TextEncoder().encode("lo"));
    expect(taken()).toBe(toHex(hex(FRAGMENTED_UNMASKED_TEXT)));
    serializer.writeFrame(Opcode.Ping, hex(HELLO));
    expect(taken()).toBe(toHex(hex(UNMASKED_PING)));
    serializer.writeFrame(Opcode.Binary, DATA_256);
    expect(taken()).toBe(toHex(BINARY_256));
    serializer.writeFrame(Opcode.Binary, DATA_64K);
    expect(taken()).toBe(toHex(BINARY_64K));
  });
});
