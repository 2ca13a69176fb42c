// Hex fixtures and chunking helpers for the protocol tests.
//
// Every fixture is fed whole, split in two at every byte boundary, and one byte at a time; the
// results must not depend on the chunking (STYLE.md habit 9). The parser unmasks payloads in
// place and keeps views of its input, so every feed works on a fresh copy of the fixture.
import { expect } from "vitest";
import { WebSocketError } from "../../src/protocol/errors.ts";
import type { Frame, Role } from "../../src/protocol/frame.ts";
import { FrameParser, type FrameParserOptions } from "../../src/protocol/frame_parser.ts";
import { Session } from "../../src/protocol/session.ts";
import type { SessionEvent } from "../../src/protocol/session_events.ts";
import type { SessionOptions } from "../../src/protocol/session_options.ts";

/**
 * Bytes from a hex string; whitespace is ignored so fixtures can be grouped like the RFC's.
 *
 * @example hex("81 05 48656c6c6f")
 */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new TypeError(`Cannot read hex fixture: ${JSON.stringify(text)}`);
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

// Two ASCII digits per byte value, so toHex is a table lookup and one native decode.
const HEX_PAIRS = new Uint16Array(256);
for (let byte = 0; byte < 256; byte++) {
  const pair = byte.toString(16).padStart(2, "0");
  // Little- or big-endian, the two bytes of each Uint16 must land in reading order.
  new Uint8Array(HEX_PAIRS.buffer, byte * 2, 2).set([pair.charCodeAt(0), pair.charCodeAt(1)]);
}
const ascii = new TextDecoder("latin1");

/** Lower-case hex of `bytes`, no separators. */
export function toHex(bytes: Uint8Array): string {
  const out = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = HEX_PAIRS[bytes[i]!]!;
  return ascii.decode(out);
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Hex of `payloadHex` XORed with the four-byte `keyHex`, by the definition in section 5.3. */
export function maskHex(keyHex: string, payloadHex: string): string {
  const key = hex(keyHex);
  return toHex(hex(payloadHex).map((byte, i) => byte ^ key[i & 3]!));
}

/** UTF-8 of `text` as hex. */
export function utf8Hex(text: string): string {
  return toHex(new TextEncoder().encode(text));
}

/**
 * Wire bytes of one frame as a client sends it (masked with `keyHex`), written out by hand so
 * the fixtures do not depend on the serializer under test. `b0` is the first header byte.
 */
export function clientFrame(b0: number, payloadHex: string, keyHex = "37fa213d"): Uint8Array {
  const payload = hex(payloadHex);
  return concat(
    new Uint8Array([b0]),
    lengthBytes(payload.length, 0x80),
    hex(keyHex),
    hex(maskHex(keyHex, payloadHex)),
  );
}

/** Wire bytes of one unmasked frame, as a server sends it. */
export function serverFrame(b0: number, payloadHex: string): Uint8Array {
  const payload = hex(payloadHex);
  return concat(new Uint8Array([b0]), lengthBytes(payload.length, 0), payload);
}

/** Frame bytes the way `role` sends them: masked for a client, unmasked for a server. */
export function frameFrom(sender: Role, b0: number, payloadHex: string): Uint8Array {
  return sender === "client" ? clientFrame(b0, payloadHex) : serverFrame(b0, payloadHex);
}

/** The role on the other end. */
export function peerOf(role: Role): Role {
  return role === "server" ? "client" : "server";
}

function lengthBytes(length: number, maskBit: number): Uint8Array {
  if (length < 126) return new Uint8Array([maskBit | length]);
  if (length < 65536) return new Uint8Array([maskBit | 126, length >>> 8, length & 0xff]);
  const out = new Uint8Array(9);
  out[0] = maskBit | 127;
  new DataView(out.buffer).setBigUint64(1, BigInt(length));
  return out;
}

/** A frame as a plain, comparable record: the payload as hex. */
export interface FrameRecord {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  payload: string;
}

/** A thrown error as a comparable record. */
export interface ErrorRecord {
  name: string;
  closeCode: number | undefined;
  message: string;
}

/** Turns a frame into a {@linkcode FrameRecord}. */
export function frameRecord(frame: Frame): FrameRecord {
  return {
    fin: frame.fin,
    rsv1: frame.rsv1,
    rsv2: frame.rsv2,
    rsv3: frame.rsv3,
    opcode: frame.opcode,
    payload: toHex(frame.payload),
  };
}

/** Turns anything thrown into an {@linkcode ErrorRecord}; non-WebSocketErrors are marked. */
export function errorRecord(error: unknown): ErrorRecord {
  if (error instanceof WebSocketError) {
    return { name: error.name, closeCode: error.closeCode, message: error.message };
  }
  return { name: `not a WebSocketError: ${String(error)}`, closeCode: undefined, message: "" };
}

/** What a {@linkcode FrameParser} made of an input. */
export interface ParseResult {
  frames: FrameRecord[];
  error: ErrorRecord | undefined;
  /** Bytes given to the parser when it threw: the end of the chunk that failed. */
  failedAt: number | undefined;
}

/** Feeds `chunks` to a fresh parser; stops at the first error. */
export function parseChunks(
  chunks: readonly Uint8Array[],
  options: FrameParserOptions,
): ParseResult {
  const parser = new FrameParser(options);
  const frames: FrameRecord[] = [];
  let fed = 0;
  for (const chunk of chunks) {
    fed += chunk.length;
    try {
      parser.push(chunk, (frame) => frames.push(frameRecord(frame)));
    } catch (error) {
      return { frames, error: errorRecord(error), failedAt: fed };
    }
  }
  return { frames, error: undefined, failedAt: undefined };
}

/** One way of chunking an input, and what came of it. */
export interface Variant<T> {
  chunking: string;
  result: T;
}

/** The result of the whole input at once, and of every other chunking. */
export interface EveryWay<T> {
  whole: T;
  variants: Variant<T>[];
}

/**
 * Options of {@linkcode chunkings}: by default every split point; `splitPoints` narrows them for
 * large inputs.
 */
export interface ChunkingOptions {
  splitPoints?: Iterable<number>;
}

/**
 * Runs `run` on a fresh copy of `input` given whole, split in two at every byte boundary (or at
 * `splitPoints`), and one byte at a time.
 */
export function everyWay<T>(
  input: Uint8Array,
  run: (chunks: Uint8Array[]) => T,
  options: ChunkingOptions = {},
): EveryWay<T> {
  const whole = run([input.slice()]);
  const variants: Variant<T>[] = [];
  const points = options.splitPoints ?? range(1, input.length);
  for (const at of points) {
    const copy = input.slice();
    variants.push({
      chunking: `split at ${at}`,
      result: run([copy.subarray(0, at), copy.subarray(at)]),
    });
  }
  const copy = input.slice();
  const bytes: Uint8Array[] = [];
  for (let i = 0; i < copy.length; i++) bytes.push(copy.subarray(i, i + 1));
  variants.push({ chunking: "one byte at a time", result: run(bytes) });
  return { whole, variants };
}

/** The integers from `from` (inclusive) to `to` (exclusive). */
export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  return out;
}

/** Asserts that every chunking gave the whole input's result, and returns that result. */
export function expectSameEveryWay<T>(ways: EveryWay<T>): T {
  const expected = ways.variants.map((variant) => ({
    chunking: variant.chunking,
    result: ways.whole,
  }));
  expect(ways.variants).toEqual(expected);
  return ways.whole;
}

/**
 * Parses `input` every way ({@linkcode everyWay}), asserts the chunking made no difference
 * (except where a failure was detected: one byte at a time fails at the earliest byte, so
 * `failedAt` is compared separately) and returns the whole input's result.
 */
export function parseEveryWay(
  input: Uint8Array,
  options: FrameParserOptions,
  chunking: ChunkingOptions = {},
): ParseResult & { bytewiseFailedAt: number | undefined } {
  const ways = everyWay(input, (chunks) => parseChunks(chunks, options), chunking);
  const bytewise = ways.variants[ways.variants.length - 1]!.result;
  const strip = (result: ParseResult): Omit<ParseResult, "failedAt"> => ({
    frames: result.frames,
    error: result.error,
  });
  expectSameEveryWay({
    whole: strip(ways.whole),
    variants: ways.variants.map((v) => ({ chunking: v.chunking, result: strip(v.result) })),
  });
  return { ...ways.whole, bytewiseFailedAt: bytewise.failedAt };
}

/** A session event as a plain, comparable record. */
export type EventRecord =
  | { type: "message"; text: string }
  | { type: "message"; binary: string }
  | { type: "ping" | "pong"; data: string }
  | {
    type: "closed";
    code: number;
    reason: string;
    wasClean: boolean;
    error: ErrorRecord | undefined;
  }
  | { type: "streamStart"; text: boolean; compressed: boolean }
  | { type: "streamData"; data: string }
  | { type: "streamEnd" };

/** Turns a session event into an {@linkcode EventRecord}. */
export function eventRecord(event: SessionEvent): EventRecord {
  switch (event.type) {
    case "message":
      return typeof event.data === "string"
        ? { type: "message", text: event.data }
        : { type: "message", binary: toHex(event.data) };
    case "ping":
    case "pong":
      return { type: event.type, data: toHex(event.data) };
    case "closed":
      return {
        type: "closed",
        code: event.event.code,
        reason: event.event.reason,
        wasClean: event.event.wasClean,
        error: event.event.error === undefined ? undefined : errorRecord(event.event.error),
      };
    case "compressed":
      // Only sessions created with perMessageDeflate report this; the suites here never do.
      throw new Error("Unexpected compressed message");
    case "closing":
      // Only sessions created with deferCloseReply report this; the suites here never do.
      throw new Error("Unexpected deferred close");
    case "error":
      // Only sessions created with deferFailure report this; the suites here never do.
      throw new Error(`Unexpected deferred failure: ${event.error.message}`);
    case "streamStart":
      return { type: "streamStart", text: event.text, compressed: event.compressed };
    case "streamData":
      return { type: "streamData", data: toHex(event.data) };
    case "streamEnd":
      return { type: "streamEnd" };
  }
}

/** What a {@linkcode Session} made of an input. */
export interface SessionResult {
  events: EventRecord[];
  /** The frames the session wrote, decoded by a parser of the peer's role. */
  outgoing: FrameRecord[];
  /** Bytes given to the session when it reported `closed`. */
  closedAt: number | undefined;
  /** Set when `receive` threw, which it must never do. */
  threw: string | undefined;
}

/** Decodes what an endpoint of `role` wrote, with a parser of the peer's role. */
export function decodeOutgoing(role: Role, chunks: readonly Uint8Array[]): FrameRecord[] {
  const parsed = parseChunks(chunks.map((chunk) => chunk.slice()), {
    role: peerOf(role),
    limits: { maxFrameSize: 2 ** 32, maxMessageSize: 2 ** 32 },
  });
  if (parsed.error !== undefined) {
    throw new Error(`The session wrote bytes its peer cannot parse: ${parsed.error.message}`);
  }
  return parsed.frames;
}

/** Feeds `chunks` to a fresh session and records events, outgoing frames and when it closed. */
export function receiveChunks(
  chunks: readonly Uint8Array[],
  options: SessionOptions,
  session: Session = new Session(options),
): SessionResult {
  const events: EventRecord[] = [];
  const written: Uint8Array[] = [];
  let fed = 0;
  let closedAt: number | undefined;
  let threw: string | undefined;
  for (const chunk of chunks) {
    fed += chunk.length;
    try {
      for (const event of session.receive(chunk)) {
        events.push(eventRecord(event));
        if (event.type === "closed" && closedAt === undefined) closedAt = fed;
      }
    } catch (error) {
      threw = String(error);
      break;
    }
    written.push(...(session.takeOutgoing() ?? []));
  }
  return { events, outgoing: decodeOutgoing(options.role, written), closedAt, threw };
}

/**
 * Feeds `input` to sessions every way ({@linkcode everyWay}), asserts the events and outgoing
 * frames do not depend on the chunking, and returns the whole input's result plus the byte at
 * which a session fed one byte at a time reported `closed`.
 */
export function receiveEveryWay(
  input: Uint8Array,
  options: SessionOptions,
  chunking: ChunkingOptions = {},
): SessionResult & { bytewiseClosedAt: number | undefined } {
  const ways = everyWay(input, (chunks) => receiveChunks(chunks, options), chunking);
  const bytewise = ways.variants[ways.variants.length - 1]!.result;
  const strip = (result: SessionResult): Omit<SessionResult, "closedAt"> => ({
    events: result.events,
    outgoing: result.outgoing,
    threw: result.threw,
  });
  expectSameEveryWay({
    whole: strip(ways.whole),
    variants: ways.variants.map((v) => ({ chunking: v.chunking, result: strip(v.result) })),
  });
  return { ...ways.whole, bytewiseClosedAt: bytewise.closedAt };
}

/** A frame record for the expected side of an assertion. */
export function rec(
  opcode: number,
  payloadHex: string,
  flags: Partial<Omit<FrameRecord, "opcode" | "payload">> = {},
): FrameRecord {
  return {
    fin: flags.fin ?? true,
    rsv1: flags.rsv1 ?? false,
    rsv2: flags.rsv2 ?? false,
    rsv3: flags.rsv3 ?? false,
    opcode,
    payload: toHex(hex(payloadHex)),
  };
}

/** The closed event record a session reports when it fails the connection with `error`. */
export function failedWith(name: string, closeCode: number): EventRecord {
  return {
    type: "closed",
    code: closeCode,
    reason: "",
    wasClean: false,
    error: expect.objectContaining({ name, closeCode }) as unknown as ErrorRecord,
  };
}

/** The Close frame a session sends when it fails the connection with `code`. */
export function closeFrameRecord(code: number, reason = ""): FrameRecord {
  return rec(0x8, code.toString(16).padStart(4, "0") + utf8Hex(reason));
}
