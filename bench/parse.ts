/**
 * Frame decode and encode throughput of wsflow's pure core against the `ws` package's own
 * `Receiver` and `Sender`, in one process, on whichever runtime runs it:
 *
 * ```sh
 * node --import tsx bench/parse.ts
 * bun bench/parse.ts
 * deno run --allow-env --allow-read --allow-sys bench/parse.ts
 * ```
 *
 * Method. Every case builds its wire bytes once (client-to-server frames are masked with a fresh
 * nonzero key each), cut into 64 KiB chunks, each chunk in its own `ArrayBuffer` as a socket
 * would deliver it. Both parsers unmask in place, so before each timed batch the working copies
 * are restored from the pristine bytes, outside the timed region; wsflow gets the chunks as
 * `Uint8Array`s and `ws` gets `Buffer` views of the very same memory. Each side warms up, then
 * runs three interleaved rounds of about `BENCH_MS` milliseconds (default 300) and keeps its
 * best. Every batch checks its frame and byte counts, so neither side can skip work.
 * MB/s counts payload bytes (10^6 bytes per MB). `BENCH_MS`, `BENCH_WARMUP_MS` and
 * `BENCH_FILTER` (run only the cases whose name contains it) tune a run.
 *
 * `ws` is imported from its own files in `node_modules` (not the bare `ws` specifier), because
 * Bun maps `ws` to a shim whose `Receiver` throws.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import process from "node:process";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { FrameParser } from "../src/protocol/frame_parser.ts";
import { FrameSerializer, serializeFrame } from "../src/protocol/frame_serializer.ts";
import type { Frame } from "../src/protocol/frame.ts";
import { MaskKeySource } from "../src/protocol/mask.ts";
import { Opcode } from "../src/protocol/opcode.ts";
import { Session } from "../src/protocol/session.ts";

// ---------------------------------------------------------------------------------------------
// Settings

const RUN_MS = Number(process.env.BENCH_MS ?? 300);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 100);
const ROUNDS = 3;
// Runs only the cases whose name contains this text, e.g. BENCH_FILTER="client, masked 16 B".
const FILTER = process.env.BENCH_FILTER ?? "";
const CHUNK = 64 * 1024;
const STREAM_BYTES = 4 * 1024 * 1024; // wire bytes of one copy of a decode stream
const COPIES = 4; // copies parsed per timed decode batch (16 MiB)
const ENCODE_BATCH_BYTES = 8 * 1024 * 1024;
const KiB = 1024;
const MiB = 1024 * 1024;
const SIZES: readonly number[] = [16, KiB, 64 * KiB, MiB];

// ---------------------------------------------------------------------------------------------
// The `ws` package, from its files

interface WsReceiver {
  on(event: "message", listener: (data: Buffer, isBinary: boolean) => void): unknown;
  _write(chunk: Buffer, encoding: string | null, callback: (error?: Error | null) => void): void;
}
interface WsReceiverOptions {
  isServer: boolean;
  maxPayload: number;
}
type WsReceiverClass = new (options: WsReceiverOptions) => WsReceiver;
interface WsFrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
interface WsSenderClass {
  frame(data: Buffer, options: WsFrameOptions): Buffer[];
}
interface Ws {
  version: string;
  Receiver: WsReceiverClass;
  Sender: WsSenderClass;
  utf8: string;
  mask: string;
}

const require = createRequire(import.meta.url);

function has(specifier: string): boolean {
  try {
    require.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

async function loadWs(): Promise<Ws | string> {
  try {
    const root = dirname(require.resolve("ws/package.json"));
    const version = (require("ws/package.json") as { version: string }).version;
    const receiverUrl = pathToFileURL(join(root, "lib", "receiver.js")).href;
    const senderUrl = pathToFileURL(join(root, "lib", "sender.js")).href;
    const Receiver = ((await import(receiverUrl)) as { default: WsReceiverClass }).default;
    const Sender = ((await import(senderUrl)) as { default: WsSenderClass }).default;
    if (typeof Receiver !== "function" || typeof Sender?.frame !== "function") {
      return `ws ${version}: lib/receiver.js or lib/sender.js did not load as expected`;
    }
    // Mirror ws's own choice of helpers (lib/validation.js, lib/buffer-util.js).
    const buffer = (await import("node:buffer")) as { isUtf8?: unknown };
    const http = (await import("node:http")) as { websocketMask?: unknown };
    const utf8 = typeof buffer.isUtf8 === "function"
      ? "buffer.isUtf8 (native) for >= 24 B, JS loop below"
      : has("utf-8-validate")
      ? "utf-8-validate (native addon) for >= 32 B, JS loop below"
      : "JS loop only";
    const mask = typeof http.websocketMask === "function"
      ? "http.websocketMask (native) for >= 24 B"
      : has("bufferutil")
      ? "bufferutil (native addon)"
      : "JS byte loop (no bufferutil, no http.websocketMask)";
    return { version, Receiver, Sender, utf8, mask };
  } catch (error) {
    return `ws could not be loaded: ${error instanceof Error ? error.message : String(error)}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Input

let seed = 0x2545f491;
function random32(): number {
  // xorshift32: reproducible bytes, no dependency on the runtime's Math.random.
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return seed >>> 0;
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = random32() & 0xff;
  return bytes;
}

/** Exactly `length` bytes of valid UTF-8, JSON-like, with 2- and 3-byte characters. */
function textBytes(length: number): Uint8Array {
  const pattern = '{"id":1234,"name":"Zoë","city":"Zürich","price":"12 €","tags":["a","β"]},';
  const encoded = new TextEncoder().encode(pattern.repeat(Math.ceil(length / pattern.length) + 1));
  let end = length;
  while ((encoded[end]! & 0xc0) === 0x80) end--; // never cut inside a character
  const out = new Uint8Array(length).fill(0x20);
  out.set(encoded.subarray(0, end));
  return out;
}

function headerLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/** Writes one masked (client-to-server) frame at `at`; returns the offset after it. */
function writeMaskedFrame(
  out: Uint8Array,
  at: number,
  opcode: number,
  payload: Uint8Array,
): number {
  const length = payload.length;
  out[at++] = 0x80 | opcode;
  if (length < 126) {
    out[at++] = 0x80 | length;
  } else if (length < 65536) {
    out[at++] = 0x80 | 126;
    out[at++] = length >>> 8;
    out[at++] = length & 0xff;
  } else {
    out[at++] = 0x80 | 127;
    out.fill(0, at, at + 4);
    at += 4;
    out[at++] = length >>> 24;
    out[at++] = (length >>> 16) & 0xff;
    out[at++] = (length >>> 8) & 0xff;
    out[at++] = length & 0xff;
  }
  const key = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) key[i] = (random32() & 0xff) | 1; // nonzero: ws skips zero keys
  for (let i = 0; i < 4; i++) out[at++] = key[i]!;
  for (let i = 0; i < length; i++) out[at + i] = payload[i]! ^ key[i & 3]!;
  return at + length;
}

interface DecodeInput {
  frames: number; // per copy
  payloadBytes: number; // per copy
  payload: Uint8Array; // the plain payload of every frame
  pristine: Uint8Array[];
  work: Uint8Array[][]; // COPIES copies of the chunks, each chunk its own ArrayBuffer
  workBuffers: Buffer[][]; // the same memory, as Buffers for ws
  restore(): void;
}

function decodeInput(size: number, opcode: number): DecodeInput {
  const payload = opcode === Opcode.Text ? textBytes(size) : randomBytes(size);
  const frameBytes = headerLength(size, true) + size;
  const frames = Math.max(1, Math.round(STREAM_BYTES / frameBytes));
  const wire = new Uint8Array(frames * frameBytes);
  let at = 0;
  for (let i = 0; i < frames; i++) at = writeMaskedFrame(wire, at, opcode, payload);
  const pristine: Uint8Array[] = [];
  for (let offset = 0; offset < wire.length; offset += CHUNK) {
    pristine.push(wire.slice(offset, Math.min(offset + CHUNK, wire.length)));
  }
  const work: Uint8Array[][] = [];
  const workBuffers: Buffer[][] = [];
  for (let c = 0; c < COPIES; c++) {
    const chunks = pristine.map((chunk) => new Uint8Array(chunk.length));
    work.push(chunks);
    workBuffers.push(
      chunks.map((chunk) => Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)),
    );
  }
  const restore = (): void => {
    for (const chunks of work) {
      for (let i = 0; i < chunks.length; i++) chunks[i]!.set(pristine[i]!);
    }
  };
  return { frames, payloadBytes: frames * size, payload, pristine, work, workBuffers, restore };
}

// ---------------------------------------------------------------------------------------------
// Measuring

/** One contender in a case: `run` does one batch and returns the frames it handled. */
interface Contender {
  prepare(): void;
  run(): number;
}

interface Figures {
  framesPerSecond: number;
  megabytesPerSecond: number;
}

function timeFor(contender: Contender, ms: number): { frames: number; seconds: number } {
  let elapsed = 0;
  let frames = 0;
  while (elapsed < ms) {
    contender.prepare();
    const start = performance.now();
    frames += contender.run();
    elapsed += performance.now() - start;
  }
  return { frames, seconds: elapsed / 1000 };
}

/** Warms every contender up, then runs interleaved rounds and keeps each one's best. */
function measure(contenders: readonly Contender[], payloadSize: number): Figures[] {
  for (const contender of contenders) timeFor(contender, WARMUP_MS);
  const best = contenders.map(() => 0);
  for (let round = 0; round < ROUNDS; round++) {
    contenders.forEach((contender, i) => {
      const { frames, seconds } = timeFor(contender, RUN_MS);
      best[i] = Math.max(best[i]!, frames / seconds);
    });
  }
  return best.map((framesPerSecond) => ({
    framesPerSecond,
    megabytesPerSecond: (framesPerSecond * payloadSize) / 1e6,
  }));
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`Benchmark self-check failed: ${message}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Contenders: decode

function wsflowParser(input: DecodeInput): Contender {
  const parser = new FrameParser({ role: "server" });
  let frames = 0;
  let bytes = 0;
  let first: Uint8Array | undefined;
  const sink = (frame: Frame): void => {
    frames++;
    bytes += frame.payload.length;
    first ??= frame.payload.slice();
  };
  const contender: Contender = {
    prepare: input.restore,
    run(): number {
      frames = 0;
      bytes = 0;
      for (const chunks of input.work) {
        for (const chunk of chunks) parser.push(chunk, sink);
      }
      check(frames === input.frames * COPIES, `FrameParser gave ${frames} frames`);
      check(bytes === input.payloadBytes * COPIES, `FrameParser gave ${bytes} bytes`);
      check(parser.idle, "FrameParser ends inside a frame");
      return frames;
    },
  };
  contender.prepare();
  contender.run();
  check(first !== undefined && sameBytes(first, input.payload), "FrameParser payload differs");
  return contender;
}

function wsflowSession(input: DecodeInput): Contender {
  const session = new Session({ role: "server" });
  const expected = new TextDecoder().decode(input.payload);
  let first: string | undefined;
  const contender: Contender = {
    prepare: input.restore,
    run(): number {
      let messages = 0;
      let chars = 0;
      for (const chunks of input.work) {
        for (const chunk of chunks) {
          const events = session.receive(chunk);
          for (let i = 0; i < events.length; i++) {
            const event = events[i]!;
            if (event.type !== "message") throw new Error(`Session reported ${event.type}`);
            const text = event.data as string;
            first ??= text;
            messages++;
            chars += text.length;
          }
        }
      }
      check(messages === input.frames * COPIES, `Session gave ${messages} messages`);
      check(chars === expected.length * input.frames * COPIES, `Session gave ${chars} chars`);
      return messages;
    },
  };
  contender.prepare();
  contender.run();
  check(first === expected, "Session text differs");
  return contender;
}

function wsReceiver(ws: Ws, input: DecodeInput, binary: boolean, decodeText: boolean): Contender {
  const receiver = new ws.Receiver({ isServer: true, maxPayload: 100 * MiB });
  let frames = 0;
  let bytes = 0;
  let first: Buffer | undefined;
  let firstText: string | undefined;
  receiver.on("message", (data, isBinary) => {
    frames++;
    if (isBinary !== binary) throw new Error("ws: unexpected message type");
    if (decodeText) {
      const text = data.toString();
      bytes += text.length;
      firstText ??= text;
    } else {
      bytes += data.length;
      first ??= Buffer.from(data);
    }
  });
  const done = (error?: Error | null): void => {
    if (error) throw error;
  };
  const expectedChars = decodeText ? new TextDecoder().decode(input.payload).length : 0;
  const contender: Contender = {
    prepare: input.restore,
    run(): number {
      frames = 0;
      bytes = 0;
      for (const chunks of input.workBuffers) {
        for (const chunk of chunks) receiver._write(chunk, null, done);
      }
      check(frames === input.frames * COPIES, `ws Receiver gave ${frames} messages`);
      const perFrame = decodeText ? expectedChars : input.payload.length;
      check(bytes === perFrame * input.frames * COPIES, `ws Receiver gave ${bytes} bytes/chars`);
      return frames;
    },
  };
  contender.prepare();
  contender.run();
  if (decodeText) {
    check(firstText === new TextDecoder().decode(input.payload), "ws text differs");
  } else {
    check(first !== undefined && sameBytes(first, input.payload), "ws payload differs");
  }
  return contender;
}

// ---------------------------------------------------------------------------------------------
// Contenders: encode

function encodeCount(size: number): number {
  return Math.min(65536, Math.max(8, Math.ceil(ENCODE_BATCH_BYTES / size)));
}

function wireLength(size: number, masked: boolean): number {
  return headerLength(size, masked) + size;
}

// Frames per take() in the batched rows: what Connection hands the socket in one write when a
// handler answers the messages of one received chunk.
const BATCH = 32;

function wsflowSerializer(
  size: number,
  masked: boolean,
  payload: Uint8Array,
  batch = 1,
): Contender {
  const serializer = new FrameSerializer({ role: masked ? "client" : "server" });
  const count = encodeCount(size);
  const expected = wireLength(size, masked) * count;
  return {
    prepare(): void {},
    run(): number {
      let total = 0;
      for (let i = 0; i < count; i++) {
        serializer.writeFrame(Opcode.Binary, payload);
        if ((i + 1) % batch !== 0 && i + 1 !== count) continue;
        const chunks = serializer.take()!;
        for (let j = 0; j < chunks.length; j++) total += chunks[j]!.length;
        // As Connection does once the socket's write of the chunk has completed.
        serializer.release();
      }
      check(total === expected, `FrameSerializer wrote ${total} bytes`);
      return count;
    },
  };
}

function wsflowSerializeFrame(size: number, masked: boolean, payload: Uint8Array): Contender {
  const keys = new MaskKeySource();
  const frame: Frame = {
    fin: true,
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: Opcode.Binary,
    payload,
  };
  const count = encodeCount(size);
  const expected = wireLength(size, masked) * count;
  return {
    prepare(): void {},
    run(): number {
      let total = 0;
      for (let i = 0; i < count; i++) {
        total += (masked ? serializeFrame(frame, keys.next()) : serializeFrame(frame)).length;
      }
      check(total === expected, `serializeFrame wrote ${total} bytes`);
      return count;
    },
  };
}

function wsSender(ws: Ws, size: number, masked: boolean, payload: Uint8Array): Contender {
  const data = Buffer.from(payload.buffer, payload.byteOffset, payload.length);
  // readOnly: true when masking, as ws's WebSocket#send passes for a caller's Buffer: the frame is
  // masked into a new buffer and the caller's payload is left alone, as wsflow does.
  const options: WsFrameOptions = {
    fin: true,
    rsv1: false,
    opcode: 2,
    mask: masked,
    readOnly: masked,
  };
  const count = encodeCount(size);
  const expected = wireLength(size, masked) * count;
  return {
    prepare(): void {},
    run(): number {
      let total = 0;
      for (let i = 0; i < count; i++) {
        const list = ws.Sender.frame(data, options);
        for (let j = 0; j < list.length; j++) total += list[j]!.length;
      }
      check(total === expected, `ws Sender.frame wrote ${total} bytes`);
      return count;
    },
  };
}

/** Checks that both encoders write the same frame (same header; same bytes when unmasked). */
function checkEncoders(
  ws: Ws | undefined,
  size: number,
  masked: boolean,
  payload: Uint8Array,
): void {
  const serializer = new FrameSerializer({ role: masked ? "client" : "server" });
  serializer.writeFrame(Opcode.Binary, payload);
  const ours = concat(serializer.take()!);
  const parsed: Uint8Array[] = [];
  new FrameParser({ role: masked ? "server" : "client" }).push(ours.slice(), (frame) => {
    parsed.push(frame.payload);
  });
  check(parsed.length === 1 && sameBytes(parsed[0]!, payload), "FrameSerializer round trip");
  if (ws === undefined) return;
  const data = Buffer.from(payload);
  const theirs = concat(
    ws.Sender.frame(data, { fin: true, rsv1: false, opcode: 2, mask: masked, readOnly: true }),
  );
  const header = headerLength(size, masked) - (masked ? 4 : 0);
  check(sameBytes(ours.subarray(0, header), theirs.subarray(0, header)), "headers differ");
  if (!masked) check(sameBytes(ours, theirs), "unmasked frames differ");
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Report

interface Row {
  name: string;
  wsflow: Figures;
  ws: Figures | undefined;
}

function sizeName(size: number): string {
  return size >= MiB ? `${size / MiB} MiB` : size >= KiB ? `${size / KiB} KiB` : `${size} B`;
}

function formatRate(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function printTable(title: string, rows: readonly Row[]): void {
  const header = ["case", "wsflow frames/s", "wsflow MB/s", "ws frames/s", "ws MB/s", "wsflow/ws"];
  const lines = rows.map((row) => [
    row.name,
    formatRate(row.wsflow.framesPerSecond),
    row.wsflow.megabytesPerSecond.toFixed(1),
    row.ws === undefined ? "-" : formatRate(row.ws.framesPerSecond),
    row.ws === undefined ? "-" : row.ws.megabytesPerSecond.toFixed(1),
    row.ws === undefined
      ? "-"
      : `${(row.wsflow.framesPerSecond / row.ws.framesPerSecond).toFixed(2)}x`,
  ]);
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...lines.map((line) => line[i]!.length))
  );
  const format = (cells: readonly string[]): string =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(
      "  ",
    );
  console.log(`\n${title}`);
  console.log(format(header));
  console.log(widths.map((width) => "-".repeat(width)).join("  "));
  for (const line of lines) console.log(format(line));
}

function wanted(name: string): boolean {
  return FILTER === "" || name.includes(FILTER);
}

function runtimeName(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun !== undefined) return `Bun ${versions.bun} (JavaScriptCore)`;
  if (versions.deno !== undefined) return `Deno ${versions.deno} (V8 ${versions.v8 ?? "?"})`;
  return `Node ${process.version} (V8 ${versions.v8 ?? "?"})`;
}

function timerResolution(): number {
  let smallest = Infinity;
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    let now = start;
    while (now === start) now = performance.now();
    smallest = Math.min(smallest, now - start);
  }
  return smallest;
}

// ---------------------------------------------------------------------------------------------
// Main

const started = performance.now();
const loaded = await loadWs();
const ws = typeof loaded === "string" ? undefined : loaded;

console.log(`\n=== wsflow vs ws: frame decode/encode, ${runtimeName()} ===`);
if (ws === undefined) {
  console.log(`ws comparison skipped: ${loaded as string}; wsflow figures only.`);
} else {
  console.log(`ws ${ws.version} (lib/receiver.js, lib/sender.js from node_modules)`);
  console.log(`ws UTF-8 validation: ${ws.utf8}`);
  console.log(`ws masking/unmasking: ${ws.mask}`);
}
console.log(
  `timer resolution ~${(timerResolution() * 1000).toFixed(1)} us; warm-up ${WARMUP_MS} ms, ` +
    `best of ${ROUNDS} x ${RUN_MS} ms per contender; MB = 10^6 payload bytes`,
);

const decodeRows: Row[] = [];
for (const size of SIZES) {
  if (!wanted(`binary ${sizeName(size)}: FrameParser`)) continue;
  const input = decodeInput(size, Opcode.Binary);
  const contenders = [wsflowParser(input)];
  if (ws !== undefined) contenders.push(wsReceiver(ws, input, true, false));
  const [ours, theirs] = measure(contenders, size);
  decodeRows.push({ name: `binary ${sizeName(size)}: FrameParser`, wsflow: ours!, ws: theirs });
}
for (const size of [16, KiB]) {
  if (!wanted(`text ${sizeName(size)}: Session`)) continue;
  const input = decodeInput(size, Opcode.Text);
  const contenders = [wsflowSession(input)];
  if (ws !== undefined) {
    contenders.push(wsReceiver(ws, input, false, false), wsReceiver(ws, input, false, true));
  }
  const [ours, validated, decoded] = measure(contenders, size);
  decodeRows.push({
    name: `text ${sizeName(size)}: Session vs ws (validate)`,
    wsflow: ours!,
    ws: validated,
  });
  decodeRows.push({
    name: `text ${sizeName(size)}: Session vs ws + toString`,
    wsflow: ours!,
    ws: decoded,
  });
}
if (decodeRows.length > 0) {
  printTable(
    "Decode: masked client frames in 64 KiB chunks (FrameParser: frames to a counting sink; " +
      "Session.receive: parse + assemble + UTF-8 decode to string; ws: Receiver#_write, 'message' events)",
    decodeRows,
  );
}

const encodeRows: Row[] = [];
for (const masked of [false, true]) {
  for (const size of SIZES) {
    const side = masked ? "client, masked" : "server";
    if (!wanted(`${side} ${sizeName(size)}: FrameSerializer serializeFrame`)) continue;
    const payload = randomBytes(size);
    checkEncoders(ws, size, masked, payload);
    const contenders = [
      wsflowSerializer(size, masked, payload),
      wsflowSerializer(size, masked, payload, BATCH),
      wsflowSerializeFrame(size, masked, payload),
    ];
    if (ws !== undefined) contenders.push(wsSender(ws, size, masked, payload));
    const [serializer, batched, serialize, theirs] = measure(contenders, size);
    encodeRows.push({
      name: `${side} ${sizeName(size)}: FrameSerializer`,
      wsflow: serializer!,
      ws: theirs,
    });
    encodeRows.push({
      name: `${side} ${sizeName(size)}: FrameSerializer x${BATCH}`,
      wsflow: batched!,
      ws: theirs,
    });
    encodeRows.push({
      name: `${side} ${sizeName(size)}: serializeFrame`,
      wsflow: serialize!,
      ws: theirs,
    });
  }
}
if (encodeRows.length > 0) {
  printTable(
    "Encode: one binary frame per call (FrameSerializer: writeFrame + take + release per frame, " +
      "as a connection does once each write completes; FrameSerializer x" + BATCH + ": one take " +
      "per " + BATCH + " frames, as a connection writes a batch; serializeFrame: one new " +
      "buffer; ws: Sender.frame, which returns [header, payload] unmasked and one merged buffer masked)",
    encodeRows,
  );
  console.log(
    "Note: unmasked, ws Sender.frame never copies the payload and FrameSerializer does not above " +
      "16 KiB, so MB/s there is a call rate, not a copy speed; serializeFrame always copies.",
  );
}

console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
