// The client side of the conformance suite (tests/conformance/), in the spirit of the
// Autobahn|Testsuite fuzzing client: it writes exactly the bytes a case calls for, in one write,
// frame by frame or in chops, and checks what the echo server answers with bounded waits.
// Frames are encoded by hand (raw_client.ts), independently of the library's serializer.
import { afterAll, afterEach, beforeAll, describe, expect } from "vitest";
import type { ClientHttp2Session } from "node:http2";
import { serveHttp2 } from "../../src/adapters/node_http2_listener.ts";
import type { Frame } from "../../src/protocol/frame.ts";
import type { Server } from "../../src/server/options.ts";
import { bytesDiff } from "./bytes.ts";
import { ECHO_LIMITS, echoHandler, echoHooks, startEchoServer } from "./echo_server.ts";
import { connectFields, h2Request, h2Session } from "./h2_client.ts";
import { makeTestCerts } from "./test_certs.ts";
import { encodeFrame, RawClient } from "./raw_client.ts";
import { delay, withTimeout } from "./with_timeout.ts";

/** Opcodes, written out here so the tests do not lean on the library's own table. */
export const Op = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** How long any one awaited event may take. */
export const WAIT_MS = 5_000;

/** Header bits of a hand-made frame: FIN (default true), RSV as a 3-bit number, masking. */
export interface FrameBits {
  fin?: boolean;
  rsv?: number;
  mask?: boolean;
}

const encoder = new TextEncoder();

/** A masked client frame. */
export function frame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  bits: FrameBits = {},
): Uint8Array {
  return encodeFrame(opcode, payload, bits);
}

/** Joins byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/** Joins a list of byte arrays (for lists too long to spread into arguments). */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes from hex pairs separated by spaces: `"ce ba"`. */
export function fromHex(hex: string): Uint8Array {
  const pairs = hex.trim().split(/\s+/).filter((pair) => pair !== "");
  return new Uint8Array(pairs.map((pair) => parseInt(pair, 16)));
}

/** A binary payload whose bytes depend on their position (so shifts and drops show). */
export function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >> 8) + (i >> 16)) & 0xff;
  return out;
}

// One-, two-, three- and four-byte characters, so text of any length splits them everywhere.
const TEXT_UNIT = utf8("wsflow κόσμε ∮ E⋅da 🎉 ");

/** Valid UTF-8 of exactly `length` bytes, mixing characters of every encoded length. */
export function textOfLength(length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  while (offset + TEXT_UNIT.length <= length) {
    out.set(TEXT_UNIT, offset);
    offset += TEXT_UNIT.length;
  }
  out.fill(0x2e, offset); // "." up to the exact length
  return out;
}

/** A Close frame's payload: the code in network order, then the reason. */
export function closePayload(code: number, reason: string | Uint8Array = ""): Uint8Array {
  const reasonBytes = typeof reason === "string" ? utf8(reason) : reason;
  return concatBytes(new Uint8Array([code >> 8, code & 0xff]), reasonBytes);
}

/**
 * One message as frames of at most `size` payload bytes each: the first with `opcode`, then
 * Continuations, FIN on the last. An empty payload is a single frame. Encoded in one buffer
 * (with the same header layout as raw_client.ts's `encodeFrame`), since a message may have a
 * hundred thousand fragments.
 */
export function fragmentFrames(opcode: number, payload: Uint8Array, size: number): Uint8Array {
  const count = Math.max(1, Math.ceil(payload.length / size));
  const lengthOf = (i: number): number => Math.min(size, payload.length - i * size);
  const headerOf = (length: number): number => 2 + (length < 126 ? 0 : length < 65536 ? 2 : 8) + 4;
  let total = 0;
  for (let i = 0; i < count; i++) total += headerOf(lengthOf(i)) + lengthOf(i);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const keys = new Uint8Array(4 * count);
  for (let offset = 0; offset < keys.length; offset += 65536) {
    crypto.getRandomValues(keys.subarray(offset, offset + 65536)); // at most 64 KiB per call
  }
  let at = 0;
  for (let i = 0; i < count; i++) {
    const length = lengthOf(i);
    out[at] = (i === count - 1 ? 0x80 : 0) | (i === 0 ? opcode : Op.Continuation);
    if (length < 126) {
      out[at + 1] = 0x80 | length;
      at += 2;
    } else if (length < 65536) {
      out[at + 1] = 0x80 | 126;
      view.setUint16(at + 2, length);
      at += 4;
    } else {
      out[at + 1] = 0x80 | 127;
      view.setBigUint64(at + 2, BigInt(length));
      at += 10;
    }
    const key = keys.subarray(4 * i, 4 * i + 4);
    out.set(key, at);
    at += 4;
    const start = i * size;
    for (let j = 0; j < length; j++) out[at + j] = payload[start + j]! ^ key[j & 3]!;
    at += length;
  }
  return out;
}

/** Splits `bytes` into pieces of `size` bytes (the last may be shorter). */
export function chop(bytes: Uint8Array, size: number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length; offset += size) {
    pieces.push(bytes.subarray(offset, offset + size));
  }
  return pieces;
}

/** Splits `bytes` at the given offsets. */
export function splitAt(bytes: Uint8Array, ...offsets: readonly number[]): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const offset of [...offsets, bytes.length]) {
    pieces.push(bytes.subarray(start, offset));
    start = offset;
  }
  return pieces;
}

/** A small seeded generator (mulberry32), so "random" chops are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits `bytes` into pieces of 1 to `max` bytes, sizes drawn from `seed`. */
export function chopRandomly(bytes: Uint8Array, max: number, seed: number): Uint8Array[] {
  const random = seededRandom(seed);
  const pieces: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const size = 1 + Math.floor(random() * max);
    pieces.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}

/** A frame in a failure message: `text fin 12 bytes`. */
export function describeFrame(f: Frame | undefined): string {
  if (f === undefined) return "end of connection";
  const names: Record<number, string> = {
    0: "continuation",
    1: "text",
    2: "binary",
    8: "close",
    9: "ping",
    10: "pong",
  };
  const name = names[f.opcode] ?? `opcode 0x${f.opcode.toString(16)}`;
  const rsv = (f.rsv1 ? 4 : 0) | (f.rsv2 ? 2 : 0) | (f.rsv3 ? 1 : 0);
  return `${name}${f.fin ? "" : " (no FIN)"}${
    rsv === 0 ? "" : ` (RSV ${rsv})`
  } of ${f.payload.length} bytes`;
}

/** One client connection to the echo server, with the expectations the cases share. */
export class Peer {
  readonly raw: RawClient;
  // A read that `expectSilence` started and did not consume.
  #pending: Promise<Frame | undefined> | undefined;

  private constructor(raw: RawClient) {
    this.raw = raw;
  }

  /**
   * Opens an extended CONNECT stream on `session` (rfc8441#section-4) and completes the
   * handshake: the server's `:status 200` (rfc8441#section-5).
   */
  static async connectHttp2(session: ClientHttp2Session, port: number, path = "/"): Promise<Peer> {
    const answer = await withTimeout(
      h2Request(session, connectFields(port, path)),
      WAIT_MS,
      "handshake",
    );
    expect(answer.status, "handshake status").toBe(200);
    return new Peer(RawClient.fromHttp2Stream(answer.stream, answer.status));
  }

  /** Opens a connection and completes the opening handshake. */
  static async connect(port: number, path = "/"): Promise<Peer> {
    const raw = await withTimeout(RawClient.handshake(port, { path }), WAIT_MS, "handshake");
    expect(raw.response?.status, "handshake status").toBe(101);
    return new Peer(raw);
  }

  /** Writes bytes as they are, in one write. */
  write(bytes: Uint8Array): void {
    this.raw.write(bytes);
  }

  /** Writes one hand-made frame. */
  sendFrame(
    opcode: number,
    payload: Uint8Array | string = new Uint8Array(0),
    bits?: FrameBits,
  ): void {
    this.raw.write(frame(opcode, payload, bits));
  }

  /**
   * Writes each piece with its own write, pausing `pauseMs` between them so the server reads
   * them separately (Autobahn's "chops" with a sync after each). Without a pause, the event
   * loop still gets a turn every 256 writes.
   */
  async writePieces(pieces: readonly Uint8Array[], pauseMs = 0): Promise<void> {
    for (let i = 0; i < pieces.length; i++) {
      this.raw.write(pieces[i]!);
      if (pauseMs > 0 && i < pieces.length - 1) await delay(pauseMs);
      else if (i % 256 === 255) await delay(0);
    }
  }

  /** The next frame from the server; `undefined` when TCP ended first. */
  next(what: string): Promise<Frame | undefined> {
    const pending = this.#pending ?? this.raw.nextFrame();
    this.#pending = undefined;
    return withTimeout(pending, WAIT_MS, what);
  }

  /** The next frame must be a complete message with exactly these bytes. */
  async expectMessage(
    opcode: number,
    payload: Uint8Array | string,
    what = "echo",
  ): Promise<void> {
    const expected = typeof payload === "string" ? utf8(payload) : payload;
    const f = await this.next(what);
    expect(describeFrame(f), what).toBe(describeFrame({
      fin: true,
      rsv1: false,
      rsv2: false,
      rsv3: false,
      opcode: opcode as Frame["opcode"],
      payload: expected,
    }));
    expect(bytesDiff(f?.payload, expected), `${what}: payload`).toBe("");
  }

  /** The next frame must be a Pong with exactly this application data. */
  async expectPong(payload: Uint8Array | string, what = "pong"): Promise<void> {
    await this.expectMessage(Op.Pong, payload, what);
  }

  /** Nothing may arrive for `ms` milliseconds, and the connection must stay open. */
  async expectSilence(ms: number, what = "no frame"): Promise<void> {
    const pending = this.#pending ?? this.raw.nextFrame();
    const early = await Promise.race([
      pending.then((f) => describeFrame(f)),
      delay(ms).then(() => undefined),
    ]);
    this.#pending = pending;
    expect(early, `${what}: got a frame or the end of the connection`).toBeUndefined();
  }

  /**
   * The server must fail the connection: a Close frame with `code` and no other frame before
   * it, then the server closes TCP.
   */
  async expectFailure(code: number): Promise<void> {
    const before: string[] = [];
    while (true) {
      const f = await this.next(`close frame with ${code}`);
      if (f === undefined) {
        throw new Error(
          `Expected a Close frame with ${code}, but TCP ended first` +
            (before.length > 0 ? ` after: ${before.join(", ")}` : ""),
        );
      }
      if (f.opcode === Op.Close) {
        expect(before, "frames before the Close frame").toEqual([]);
        const p = f.payload;
        expect(p.length >= 2 ? (p[0]! << 8) | p[1]! : `payload of ${p.length} bytes`, "close code")
          .toBe(code);
        // The reason, if any, must itself be valid UTF-8 (rfc6455#section-5.5.1): this throws.
        new TextDecoder("utf-8", { fatal: true }).decode(p.subarray(2));
        break;
      }
      before.push(describeFrame(f));
    }
    await this.expectTcpClosed();
  }

  /** The next frame must be a Close with exactly this payload; then the server closes TCP. */
  async expectClose(payload: Uint8Array, what = "close frame"): Promise<void> {
    const f = await this.next(what);
    expect(describeFrame(f), what).toBe(`close of ${payload.length} bytes`);
    expect(bytesDiff(f?.payload, payload), `${what}: payload`).toBe("");
    await this.expectTcpClosed();
  }

  /** No further frame: the server closes TCP (while this client keeps its side open). */
  async expectTcpClosed(): Promise<void> {
    const f = await this.next("server closes TCP");
    expect(describeFrame(f), "after the close").toBe("end of connection");
    await withTimeout(this.raw.ended, WAIT_MS, "server closes TCP");
  }

  /** Drops the connection. */
  destroy(): void {
    this.raw.close();
  }
}

/** The echo server for one test file: started before its tests, stopped after them. */
export interface EchoTarget {
  /** The server's port (after `beforeAll`). */
  readonly port: number;
  /** Connects a peer; it is dropped after the test. */
  connect(path?: string): Promise<Peer>;
}

/**
 * How the conformance peers reach the echo server: a TCP connection each, or an extended
 * CONNECT stream each (RFC 8441), all on one HTTP/2 connection per test file; or a TCP
 * connection each to the echo served as message hooks instead of a `for await` handler.
 */
export type EchoTransport = "tcp" | "h2" | "hooks";

/**
 * Registers hooks in the enclosing `describe` that start the echo server once for its tests,
 * drop every peer after each test, and stop the server at the end.
 */
export function useEchoServer(transport: EchoTransport = "tcp"): EchoTarget {
  let server: Server | undefined;
  let session: ClientHttp2Session | undefined;
  const peers = new Set<Peer>();
  beforeAll(async () => {
    if (transport !== "h2") {
      server = await startEchoServer(transport === "hooks" ? echoHooks : echoHandler);
      return;
    }
    const certs = makeTestCerts();
    server = await serveHttp2(echoHandler, {
      hostname: "127.0.0.1",
      port: 0,
      limits: ECHO_LIMITS,
      tls: { cert: certs.cert, key: certs.key },
    });
    session = await h2Session(server.addr.port, certs.ca);
  });
  afterEach(() => {
    for (const peer of peers) peer.destroy();
    peers.clear();
  });
  afterAll(async () => {
    session?.close();
    await server?.close();
  });
  return {
    get port(): number {
      if (server === undefined) throw new Error("The echo server is not running");
      return server.addr.port;
    },
    async connect(path?: string): Promise<Peer> {
      const peer = session === undefined
        ? await Peer.connect(this.port, path)
        : await Peer.connectHttp2(session, this.port, path);
      peers.add(peer);
      return peer;
    },
  };
}

/**
 * A conformance family, run over TCP, again over HTTP/2 streams (rfc8441#section-5: the
 * stream's DATA carries RFC 6455 frames exactly as TCP would), and again over TCP with the echo
 * served as message hooks (the same protocol behaviour whichever form the handler takes). The
 * TCP run keeps the family's name; the others' names say so.
 */
export function describeOverTransports(name: string, cases: (target: EchoTarget) => void): void {
  describe(name, () => cases(useEchoServer("tcp")));
  describe(`${name}, over HTTP/2 streams (rfc8441#section-5)`, () => cases(useEchoServer("h2")));
  describe(`${name}, served by message hooks`, () => cases(useEchoServer("hooks")));
}
