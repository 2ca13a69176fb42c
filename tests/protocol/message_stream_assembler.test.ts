// Streamed messages in the pure core: the frame parser's piece mode, MessageStreamAssembler and
// Session's streamMessages option. A streamed message's bytes are reported as they arrive, in
// any chunking the same bytes, and text is checked as UTF-8 before its bytes are reported.
import { describe, expect, it } from "vitest";
import { InvalidPayloadError } from "../../src/protocol/errors.ts";
import { FrameParser, type FramePiece } from "../../src/protocol/frame_parser.ts";
import type { Frame } from "../../src/protocol/frame.ts";
import {
  MessageStreamAssembler,
  type MessageStreamEvent,
} from "../../src/protocol/message_stream_assembler.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { Session } from "../../src/protocol/session.ts";
import type { SessionEvent } from "../../src/protocol/session_events.ts";
import { clientFrame, concat, hex, toHex, utf8Hex } from "../_helpers/hex.ts";

const BITS = { rsv1: false, rsv2: false, rsv3: false } as const;

/** What a run of stream events says, with the data of consecutive events joined. */
function summary(events: readonly (SessionEvent | MessageStreamEvent)[]): string[] {
  const out: string[] = [];
  for (const event of events) {
    if (event.type === "streamData") {
      const last = out.length - 1;
      if (out[last]?.startsWith("data ")) out[last] += toHex(event.data);
      else out.push(`data ${toHex(event.data)}`);
    } else if (event.type === "streamStart") {
      out.push(`start ${event.text ? "text" : "binary"}${event.compressed ? " compressed" : ""}`);
    } else out.push(event.type);
  }
  return out;
}

describe("FrameParser piece mode", () => {
  const payload = "01 02 03 04 05 06 07 08 09 0a";
  const wire = concat(clientFrame(0x82, payload), clientFrame(0x89, "aa bb"));

  it("hands a data payload that spans chunks on piece by piece, and holds none of it", () => {
    for (let at = 7; at < 16; at++) {
      const pieces: FramePiece[] = [];
      const frames: Frame[] = [];
      const parser = new FrameParser({ role: "server", pieces: (piece) => pieces.push(piece) });
      parser.push(wire.slice(0, at), (frame) => frames.push(frame));
      expect(parser.heldBytes, `split at ${at}`).toBe(0);
      parser.push(wire.slice(at), (frame) => frames.push(frame));
      expect(pieces.map((p) => [p.first, p.last, p.fin, p.opcode])).toEqual([
        [true, false, true, Opcode.Binary],
        [false, true, true, Opcode.Binary],
      ]);
      expect(pieces.map((p) => toHex(p.payload)).join("")).toBe(toHex(hex(payload)));
      // The Ping, whole in its chunk, still goes to the frame sink.
      expect(frames.map((f) => f.opcode)).toEqual([Opcode.Ping]);
    }
  });

  it('piecesOf "text" hands on pieces of uncompressed text only; binary payloads are joined', () => {
    const text = concat(clientFrame(0x81, utf8Hex("hello world")), clientFrame(0x82, payload));
    const pieces: FramePiece[] = [];
    const frames: Frame[] = [];
    const parser = new FrameParser({
      role: "server",
      pieces: (piece) => pieces.push(piece),
      piecesOf: "text",
    });
    for (const byte of text) parser.push(new Uint8Array([byte]), (frame) => frames.push(frame));
    expect(pieces.every((piece) => piece.opcode === Opcode.Text)).toBe(true);
    expect(pieces.length).toBe(11);
    expect(frames.map((f) => [f.opcode, toHex(f.payload)])).toEqual([
      [Opcode.Binary, toHex(hex(payload))],
    ]);
  });

  it("still hands a payload that lies in one chunk to the frame sink", () => {
    const pieces: FramePiece[] = [];
    const frames: Frame[] = [];
    new FrameParser({ role: "server", pieces: (piece) => pieces.push(piece) })
      .push(wire, (frame) => frames.push(frame));
    expect(pieces).toEqual([]);
    expect(frames.map((f) => toHex(f.payload))).toEqual([toHex(hex(payload)), "aabb"]);
  });
});

describe("MessageStreamAssembler", () => {
  it("reports start, data and end across fragments, skipping empty payloads", () => {
    const assembler = new MessageStreamAssembler();
    const events: MessageStreamEvent[] = [];
    assembler.push({ ...BITS, fin: false, opcode: Opcode.Binary, payload: hex("01") }, events);
    assembler.push({ ...BITS, fin: false, opcode: Opcode.Continuation, payload: hex("") }, events);
    assembler.push({ ...BITS, fin: true, opcode: Opcode.Continuation, payload: hex("02") }, events);
    expect(summary(events)).toEqual(["start binary", "data 0102", "streamEnd"]);
  });

  it("rfc6455#section-8.1 throws InvalidPayloadError on the piece that makes text invalid, before reporting it", () => {
    const assembler = new MessageStreamAssembler();
    const events: MessageStreamEvent[] = [];
    const bits = { ...BITS, fin: true, opcode: Opcode.Text };
    assembler.pushPiece({ ...bits, payload: hex("ce ba f4"), first: true, last: false }, events);
    expect(() =>
      assembler.pushPiece({ ...bits, payload: hex("90 80"), first: false, last: false }, events)
    ).toThrow(InvalidPayloadError);
    expect(summary(events)).toEqual(["start text", "data cebaf4"]);
  });

  it("rfc6455#section-8.1 throws when text ends inside a character", () => {
    const assembler = new MessageStreamAssembler();
    expect(() =>
      assembler.push({ ...BITS, fin: true, opcode: Opcode.Text, payload: hex("41 e2 82") }, [])
    ).toThrow(InvalidPayloadError);
  });

  it("rfc7692#section-6.1 leaves compressed text unchecked: it is checked once inflated", () => {
    const events: MessageStreamEvent[] = [];
    new MessageStreamAssembler().push({
      ...BITS,
      rsv1: true,
      fin: true,
      opcode: Opcode.Text,
      payload: hex("ff fe"),
    }, events);
    expect(summary(events)).toEqual(["start text compressed", "data fffe", "streamEnd"]);
  });
});

describe("Session streamMessages", () => {
  const text = "κόσμε ".repeat(40);
  const wire = concat(
    clientFrame(0x01, utf8Hex(text.slice(0, 100))),
    clientFrame(0x89, "aa"),
    clientFrame(0x80, utf8Hex(text.slice(100))),
  );

  it("reports the same bytes however the input is chunked, with the Ping between them", () => {
    for (const size of [1, 3, 7, 64, wire.length]) {
      const session = new Session({ role: "server", streamMessages: true });
      const events: SessionEvent[] = [];
      for (let at = 0; at < wire.length; at += size) {
        events.push(...session.receive(wire.slice(at, at + size)));
      }
      const seen = summary(events.filter((event) => event.type !== "ping"));
      expect(seen, `chunks of ${size}`).toEqual([
        "start text",
        `data ${utf8Hex(text).replaceAll(" ", "")}`,
        "streamEnd",
      ]);
      expect(events.some((event) => event.type === "ping")).toBe(true);
      expect(session.heldBytes).toBe(0);
    }
  });

  it("rfc6455#section-10.4 applies limits.maxMessageSize to the total, at each frame header", () => {
    const session = new Session({
      role: "server",
      streamMessages: true,
      limits: { maxMessageSize: 10 },
    });
    const events = session.receive(concat(
      clientFrame(0x02, "00 01 02 03 04 05"),
      clientFrame(0x80, "06 07 08 09 0a"),
    ));
    const closed = events.find((event) => event.type === "closed");
    expect(closed?.type === "closed" && closed.event.code).toBe(1009);
  });
});
