// Property tests (fast-check, fixed seed, bounded runs so every runtime sees the same cases):
// serialize → parse is the identity in both directions and under any chunking; chunking never
// changes what a parser or a session makes of a stream; random bytes make the parser throw only
// WebSocketErrors and the session never throw; close payloads and UTF-8 behave on any input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isReceivableCloseCode } from "../../src/protocol/close_code.ts";
import { buildClosePayload, parseClosePayload } from "../../src/protocol/close_payload.ts";
import { InvalidPayloadError, ProtocolError, WebSocketError } from "../../src/protocol/errors.ts";
import type { Frame, Role } from "../../src/protocol/frame.ts";
import { FrameSerializer, serializeFrame } from "../../src/protocol/frame_serializer.ts";
import type { Limits } from "../../src/protocol/limits.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import { decodeUtf8, Utf8StreamDecoder } from "../../src/protocol/utf8.ts";
import {
  concat,
  decodeOutgoing,
  type EventRecord,
  eventRecord,
  frameRecord,
  parseChunks,
  peerOf,
  receiveChunks,
  toHex,
} from "../_helpers/hex.ts";

const SEED = 42;
const runs = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns });

// ---------------------------------------------------------------------------------------------
// Arbitraries

function pattern(length: number, seed: number): Uint8Array {
  const data = new Uint8Array(length);
  for (let i = 0; i < length; i++) data[i] = (i * 167 + seed * 13 + 5) & 0xff;
  return data;
}

const roleArb: fc.Arbitrary<Role> = fc.constantFrom("server", "client");

// Mostly small payloads, sometimes exactly at the 7/16/64-bit length boundaries.
const dataPayloadArb = (large: boolean): fc.Arbitrary<Uint8Array> =>
  fc.tuple(
    large
      ? fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 300 }) },
        { weight: 2, arbitrary: fc.constantFrom(125, 126, 127, 65535, 65536, 65537) },
      )
      : fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 255 }),
  ).map(([length, seed]) => pattern(length, seed));

const controlArb: fc.Arbitrary<Frame> = fc.tuple(
  fc.constantFrom(Opcode.Ping, Opcode.Pong, Opcode.Close),
  fc.integer({ min: 0, max: 125 }),
  fc.integer({ min: 0, max: 255 }),
).map(([opcode, length, seed]) => ({
  fin: true,
  rsv1: false,
  rsv2: false,
  rsv3: false,
  opcode,
  payload: pattern(length, seed),
}));

/** A valid frame sequence: messages in 1-4 fragments with control frames between them. */
const framesArb = (options: { rsv1: boolean; large: boolean }): fc.Arbitrary<Frame[]> =>
  fc.array(
    fc.record({
      binary: fc.boolean(),
      compressed: fc.boolean(),
      fragments: fc.array(dataPayloadArb(options.large), { minLength: 1, maxLength: 4 }),
      controls: fc.array(fc.option(controlArb, { nil: undefined }), { maxLength: 4 }),
    }),
    { maxLength: 5 },
  ).map((messages) => {
    const frames: Frame[] = [];
    for (const message of messages) {
      message.fragments.forEach((payload, i) => {
        frames.push({
          fin: i === message.fragments.length - 1,
          rsv1: i === 0 && options.rsv1 && message.compressed,
          rsv2: false,
          rsv3: false,
          opcode: i > 0 ? Opcode.Continuation : message.binary ? Opcode.Binary : Opcode.Text,
          payload,
        });
        const control = message.controls[i];
        if (control !== undefined) frames.push(control);
      });
    }
    return frames;
  });

/** Chunk sizes, used in turn until the input is used up. */
const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 });

function chunked(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

const limitsArb: fc.Arbitrary<Partial<Limits>> = fc.oneof(
  fc.constant({}),
  fc.record({
    maxFrameSize: fc.integer({ min: 1, max: 300 }),
    maxMessageSize: fc.integer({ min: 1, max: 600 }),
    maxFragments: fc.integer({ min: 1, max: 6 }),
  }),
);

/** How a sender turns frames into bytes: the one-shot function or the arena serializer. */
function serialize(frames: readonly Frame[], sender: Role, useArena: boolean, key: Uint8Array) {
  if (!useArena) {
    return concat(
      ...frames.map((frame) => serializeFrame(frame, sender === "client" ? key : undefined)),
    );
  }
  const serializer = new FrameSerializer({ role: sender });
  for (const frame of frames) {
    serializer.writeFrame(frame.opcode, frame.payload, frame.fin, frame.rsv1);
  }
  return concat(...(serializer.take() ?? []));
}

// Bytes with a structure: random bytes, or a valid stream with some bytes overwritten and an
// arbitrary cut, which reaches much deeper into the parser than noise does.
const hostileBytesArb = (sender: Role): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc.tuple(
      framesArb({ rsv1: false, large: false }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(),
    ).map(([frames, edits, cut]) => {
      const bytes = serialize(frames, sender, false, new Uint8Array([1, 2, 3, 4]));
      if (bytes.length === 0) return bytes;
      for (const [at, value] of edits) bytes[at % bytes.length] = value;
      return bytes.subarray(0, cut % (bytes.length + 1));
    }),
  );

// ---------------------------------------------------------------------------------------------
// Frames

describe("property: serialize then parse", () => {
  it("is the identity for any valid frame sequence, either direction, either serializer, any chunking", () => {
    fc.assert(
      fc.property(
        roleArb,
        fc.boolean(),
        fc.boolean(),
        framesArb({ rsv1: true, large: true }),
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        chunkSizesArb,
        (sender, rsv1, useArena, frames, key, sizes) => {
          const valid = frames.map((frame) => ({ ...frame, rsv1: frame.rsv1 && rsv1 }));
          const bytes = serialize(valid, sender, useArena, key);
          const receiver = { role: peerOf(sender), rsv1 };
          const whole = parseChunks([bytes.slice()], receiver);
          const pieces = parseChunks(chunked(bytes.slice(), sizes), receiver);
          const expected = valid.map(frameRecord);
          expect(whole).toEqual({ frames: expected, error: undefined, failedAt: undefined });
          expect(pieces).toEqual(whole);
        },
      ),
      runs(300),
    );
  });

  it("rfc6455#section-5.1 fails with 1002 when the receiver has the sender's role", () => {
    fc.assert(
      fc.property(roleArb, framesArb({ rsv1: false, large: false }), (sender, frames) => {
        fc.pre(frames.length > 0);
        const bytes = serialize(frames, sender, false, new Uint8Array([9, 8, 7, 6]));
        const result = parseChunks([bytes], { role: sender });
        expect(result.frames).toEqual([]);
        expect(result.error).toMatchObject({ name: "ProtocolError", closeCode: 1002 });
      }),
      runs(200),
    );
  });
});

describe("property: chunking", () => {
  it("any chunking of any byte stream gives the parser's whole-input frames and error", () => {
    fc.assert(
      fc.property(
        roleArb,
        fc.boolean(),
        limitsArb,
        chunkSizesArb,
        roleArb.chain((sender) => hostileBytesArb(sender)),
        (role, rsv1, limits, sizes, bytes) => {
          const options = { role, rsv1, limits };
          const whole = parseChunks([bytes.slice()], options);
          const pieces = parseChunks(chunked(bytes.slice(), sizes), options);
          const bytewise = parseChunks(chunked(bytes.slice(), [1]), options);
          const strip = ({ frames, error }: typeof whole) => ({ frames, error });
          expect(strip(pieces)).toEqual(strip(whole));
          expect(strip(bytewise)).toEqual(strip(whole));
        },
      ),
      runs(400),
    );
  });

  it("any chunking of any byte stream gives the session's whole-input events and replies", () => {
    fc.assert(
      fc.property(
        roleArb,
        limitsArb,
        chunkSizesArb,
        roleArb.chain((sender) => hostileBytesArb(sender)),
        (role, limits, sizes, bytes) => {
          const whole = receiveChunks([bytes.slice()], { role, limits });
          const pieces = receiveChunks(chunked(bytes.slice(), sizes), { role, limits });
          const strip = ({ events, outgoing, threw }: typeof whole) => ({
            events,
            outgoing,
            threw,
          });
          expect(strip(pieces)).toEqual(strip(whole));
        },
      ),
      runs(300),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Hostile input

describe("property: hostile bytes", () => {
  it("make a FrameParser throw nothing but ProtocolError (1002) or MessageTooBigError (1009)", () => {
    fc.assert(
      fc.property(
        roleArb,
        fc.boolean(),
        limitsArb,
        chunkSizesArb,
        fc.oneof(fc.uint8Array({ maxLength: 400 }), hostileBytesArb("client")),
        (role, rsv1, limits, sizes, bytes) => {
          const result = parseChunks(chunked(bytes, sizes), { role, rsv1, limits });
          if (result.error !== undefined) {
            expect(["ProtocolError", "MessageTooBigError"]).toContain(result.error.name);
            expect(result.error.closeCode === 1002 || result.error.closeCode === 1009).toBe(true);
          }
        },
      ),
      runs(500),
    );
  });

  it("never make Session.receive throw; a failure is one closed event, last, answered by one Close", () => {
    fc.assert(
      fc.property(
        roleArb,
        limitsArb,
        chunkSizesArb,
        roleArb.chain((sender) => hostileBytesArb(sender)),
        (role, limits, sizes, bytes) => {
          const session = new Session({ role, limits });
          const events: EventRecord[] = [];
          const written: Uint8Array[] = [];
          for (const chunk of chunked(bytes, sizes)) {
            // receive must not throw; an exception fails the property with its message.
            for (const event of session.receive(chunk)) events.push(eventRecord(event));
            written.push(...(session.takeOutgoing() ?? []));
          }
          // What the session wrote is valid for its peer (decodeOutgoing throws otherwise).
          const outgoing = decodeOutgoing(role, written);
          const closedAt = events.findIndex((event) => event.type === "closed");
          const pings = events.filter((event) => event.type === "ping");
          if (closedAt === -1) {
            expect(session.readyState).toBe("open");
            expect(outgoing.map((frame) => frame.opcode)).toEqual(pings.map(() => Opcode.Pong));
            expect(session.transportClosed().map(eventRecord)).toEqual([
              { type: "closed", code: 1006, reason: "", wasClean: false, error: undefined },
            ]);
            return;
          }
          expect(closedAt).toBe(events.length - 1);
          expect(session.readyState).toBe("closed");
          const closed = events[closedAt]!;
          const last = outgoing[outgoing.length - 1];
          expect(last?.opcode).toBe(Opcode.Close);
          expect(outgoing.filter((frame) => frame.opcode === Opcode.Close).length).toBe(1);
          if (closed.type === "closed" && !closed.wasClean) {
            expect([1002, 1007, 1009]).toContain(closed.code);
            expect(last?.payload).toBe(closed.code.toString(16).padStart(4, "0"));
          }
        },
      ),
      runs(400),
    );
  });

  it("make parseClosePayload throw nothing but ProtocolError (1002) or InvalidPayloadError (1007), and what it accepts rebuilds byte for byte", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 125 }),
          fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 20 })).map((
            [code, rest],
          ) => concat(new Uint8Array([code >>> 8, code & 0xff]), rest)),
          fc.tuple(
            fc.integer({ min: 0, max: 0xffff }),
            fc.string({ unit: "binary", maxLength: 30 }),
          )
            .map(([code, reason]) =>
              concat(new Uint8Array([code >>> 8, code & 0xff]), new TextEncoder().encode(reason))
            ),
        ),
        (payload) => {
          let info: { code: number; reason: string };
          try {
            info = parseClosePayload(payload);
          } catch (error) {
            expect(error).toBeInstanceOf(WebSocketError);
            const expected = payload.length === 1 ||
                !isReceivableCloseCode((payload[0]! << 8) | payload[1]!)
              ? ProtocolError
              : InvalidPayloadError;
            expect(error).toBeInstanceOf(expected);
            return;
          }
          if (payload.length === 0) {
            expect(info).toEqual({ code: 1005, reason: "" });
            return;
          }
          expect(isReceivableCloseCode(info.code)).toBe(true);
          if (payload.length <= 125) {
            expect(toHex(buildClosePayload(info.code, info.reason))).toBe(toHex(payload));
          }
        },
      ),
      runs(500),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Sessions talking to each other

type Operation =
  | { kind: "text"; text: string }
  | { kind: "binary"; data: Uint8Array }
  | { kind: "fragmented-text"; text: string; cuts: number[] }
  | { kind: "fragmented-binary"; data: Uint8Array; cuts: number[] }
  | { kind: "ping" | "pong"; data: Uint8Array };

const textArb = fc.string({ unit: "binary", maxLength: 80 });
const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  textArb.map((text) => ({ kind: "text" as const, text })),
  fc.uint8Array({ maxLength: 200 }).map((data) => ({ kind: "binary" as const, data })),
  fc.tuple(textArb, fc.array(fc.nat(), { maxLength: 4 })).map(([text, cuts]) => ({
    kind: "fragmented-text" as const,
    text,
    cuts,
  })),
  fc.tuple(fc.uint8Array({ maxLength: 100 }), fc.array(fc.nat(), { maxLength: 4 })).map((
    [data, cuts],
  ) => ({ kind: "fragmented-binary" as const, data, cuts })),
  fc.tuple(fc.constantFrom("ping" as const, "pong" as const), fc.uint8Array({ maxLength: 125 }))
    .map(([kind, data]) => ({ kind, data })),
);

function pieces(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    out.push(bytes.subarray(from, point));
    from = point;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe("property: a session receives what its peer's session sends", () => {
  it("messages (text split anywhere, even inside a character), pings, pongs and the close handshake, under any chunking", () => {
    fc.assert(
      fc.property(
        roleArb,
        fc.array(operationArb, { maxLength: 8 }),
        fc.option(
          fc.record({
            code: fc.constantFrom(1000, 1001, 1011, 3000, 4999),
            reason: fc.string({ unit: "binary", maxLength: 30 }),
          }),
          { nil: undefined },
        ),
        chunkSizesArb,
        (sender, operations, close, sizes) => {
          const peer = new Session({ role: sender });
          const expected: EventRecord[] = [];
          const pongs: string[] = [];
          for (const op of operations) {
            switch (op.kind) {
              case "text":
                peer.send(op.text);
                expected.push({ type: "message", text: op.text });
                break;
              case "binary":
                peer.send(op.data);
                expected.push({ type: "message", binary: toHex(op.data) });
                break;
              case "fragmented-text":
              case "fragmented-binary": {
                const bytes = op.kind === "fragmented-text"
                  ? new TextEncoder().encode(op.text)
                  : op.data;
                const parts = pieces(bytes, op.cuts);
                parts.forEach((part, i) => {
                  const opcode = i > 0
                    ? Opcode.Continuation
                    : op.kind === "fragmented-text"
                    ? Opcode.Text
                    : Opcode.Binary;
                  peer.sendFragment(opcode, part, i === parts.length - 1);
                });
                expected.push(
                  op.kind === "fragmented-text"
                    ? { type: "message", text: op.text }
                    : { type: "message", binary: toHex(op.data) },
                );
                break;
              }
              case "ping":
                peer.ping(op.data);
                expected.push({ type: "ping", data: toHex(op.data) });
                pongs.push(toHex(op.data));
                break;
              case "pong":
                peer.pong(op.data);
                expected.push({ type: "pong", data: toHex(op.data) });
                break;
            }
          }
          if (close !== undefined) {
            peer.close(close.code, close.reason);
            expected.push({
              type: "closed",
              code: close.code,
              reason: close.reason,
              wasClean: true,
              error: undefined,
            });
          }
          const bytes = concat(...(peer.takeOutgoing() ?? []));
          const received = receiveChunks(chunked(bytes, sizes), { role: peerOf(sender) });
          expect(received.threw).toBeUndefined();
          expect(received.events).toEqual(expected);
          const replies = [
            ...pongs.map((data) => ({ opcode: Opcode.Pong as number, payload: data })),
            ...(close === undefined ? [] : [{
              opcode: Opcode.Close as number,
              payload: close.code.toString(16).padStart(4, "0") +
                toHex(new TextEncoder().encode(close.reason)),
            }]),
          ];
          expect(received.outgoing.map(({ opcode, payload }) => ({ opcode, payload })))
            .toEqual(replies);
        },
      ),
      runs(300),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// UTF-8

/**
 * A reference UTF-8 validator written from the table in RFC 3629 section 4, independent of
 * TextDecoder: the index of the first byte at which `bytes` can no longer be valid, "incomplete"
 * when they stop inside a character, or "valid".
 */
function referenceUtf8(bytes: Uint8Array): number | "incomplete" | "valid" {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    let ranges: [number, number][];
    if (lead <= 0x7f) ranges = [];
    else if (lead >= 0xc2 && lead <= 0xdf) ranges = [[0x80, 0xbf]];
    else if (lead === 0xe0) ranges = [[0xa0, 0xbf], [0x80, 0xbf]];
    else if (lead === 0xed) ranges = [[0x80, 0x9f], [0x80, 0xbf]];
    else if (lead >= 0xe1 && lead <= 0xef) ranges = [[0x80, 0xbf], [0x80, 0xbf]];
    else if (lead === 0xf0) ranges = [[0x90, 0xbf], [0x80, 0xbf], [0x80, 0xbf]];
    else if (lead >= 0xf1 && lead <= 0xf3) ranges = [[0x80, 0xbf], [0x80, 0xbf], [0x80, 0xbf]];
    else if (lead === 0xf4) ranges = [[0x80, 0x8f], [0x80, 0xbf], [0x80, 0xbf]];
    else return i;
    i++;
    for (const [low, high] of ranges) {
      if (i === bytes.length) return "incomplete";
      const byte = bytes[i]!;
      if (byte < low || byte > high) return i;
      i++;
    }
  }
  return "valid";
}

// Bytes that look like UTF-8: valid characters mixed with the bytes at the edges of every range.
const utf8ishArb: fc.Arbitrary<Uint8Array> = fc.array(
  fc.oneof(
    fc.string({ unit: "binary", minLength: 1, maxLength: 3 }).map((text) =>
      new TextEncoder().encode(text)
    ),
    fc.constantFrom(
      0x00,
      0x7f,
      0x80,
      0x8f,
      0x90,
      0x9f,
      0xa0,
      0xbf,
      0xc0,
      0xc1,
      0xc2,
      0xdf,
      0xe0,
      0xe1,
      0xed,
      0xee,
      0xef,
      0xf0,
      0xf1,
      0xf4,
      0xf5,
      0xff,
    ).map((byte) => new Uint8Array([byte])),
  ),
  { maxLength: 12 },
).map((parts) => concat(...parts));

describe("property: UTF-8", () => {
  it("rfc6455#section-8.1 decodeUtf8 accepts exactly what RFC 3629 accepts", () => {
    fc.assert(
      fc.property(utf8ishArb, (bytes) => {
        const verdict = referenceUtf8(bytes);
        if (verdict === "valid") {
          expect(toHex(new TextEncoder().encode(decodeUtf8(bytes)))).toBe(toHex(bytes));
        } else {
          expect(() => decodeUtf8(bytes)).toThrow(InvalidPayloadError);
        }
      }),
      runs(500),
    );
  });

  it("rfc6455#section-8.1 Utf8StreamDecoder fails at the piece holding the first invalid byte, whatever the split", () => {
    fc.assert(
      fc.property(utf8ishArb, fc.array(fc.nat(), { maxLength: 5 }), (bytes, cuts) => {
        const verdict = referenceUtf8(bytes);
        const decoder = new Utf8StreamDecoder();
        let text = "";
        let offset = 0;
        let failedInPieceEndingAt: number | undefined;
        for (const piece of pieces(bytes, cuts)) {
          try {
            text += decoder.push(piece);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidPayloadError);
            failedInPieceEndingAt = offset + piece.length;
            // The first invalid byte is in this piece, not in a later one.
            expect(typeof verdict).toBe("number");
            expect(verdict as number).toBeGreaterThanOrEqual(offset);
            expect(verdict as number).toBeLessThan(offset + piece.length);
            break;
          }
          offset += piece.length;
        }
        if (failedInPieceEndingAt !== undefined) return;
        // Nothing failed early, so the stream had no invalid byte.
        expect(typeof verdict).toBe("string");
        if (verdict === "incomplete") {
          expect(() => decoder.end()).toThrow(InvalidPayloadError);
        } else {
          expect(text + decoder.end()).toBe(decodeUtf8(bytes));
        }
      }),
      runs(500),
    );
  });
});
