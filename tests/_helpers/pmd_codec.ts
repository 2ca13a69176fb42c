// permessage-deflate on the test's side of the wire, independent of the library's engine: test
// data, DEFLATE with node:zlib as rfc7692#section-7.2.1 describes it (sync flush, trailing
// 0x00 0x00 0xff 0xff removed), and a reader of `Sec-WebSocket-Extensions` written here from
// rfc7692#section-7.1 and rfc6455#section-9.1, so the library's answers are checked by code
// that is not the library's.
import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  deflateRawSync,
  type InflateRaw,
  inflateRawSync,
} from "node:zlib";
import type { DeflateRaw } from "node:zlib";

/** The four bytes a sync flush ends with, removed from every compressed message. */
export const TAIL: Uint8Array = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

const encoder = new TextEncoder();

/** Joins byte arrays. */
export function join(parts: readonly Uint8Array[]): Uint8Array {
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

/** A small deterministic generator (LCG), so data is the same on every run and runtime. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state;
  };
}

/**
 * JSON-like text of exactly `length` characters (ASCII): records whose keys repeat every
 * hundred bytes or so, and whose ids come from a pool of 600 random strings, so matches reach
 * back every distance up to 32 KiB and further. A compressor that ignores a negotiated window
 * (rfc7692#section-7.1.2) then produces distances a smaller inflater refuses.
 */
export function jsonish(length: number, seed = 1): string {
  const next = generator(seed);
  const hex = (n: number): string => {
    let out = "";
    for (let i = 0; i < n; i++) out += (next() >>> 28).toString(16);
    return out;
  };
  const ids: string[] = [];
  for (let i = 0; i < 600; i++) ids.push(hex(24));
  const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota"];
  const parts: string[] = ["["];
  let size = 1;
  let n = 0;
  while (size < length) {
    const record = `${n === 0 ? "" : ","}{"id":"${ids[next() % ids.length]}","seq":${n},` +
      `"name":"${words[next() % words.length]}-${next() % 1000}","ok":${
        (next() & 1) === 1
      },"tags":["${words[next() % words.length]}","${hex(6)}"]}`;
    parts.push(record);
    size += record.length;
    n++;
  }
  return parts.join("").slice(0, length);
}

/** `length` random bytes (incompressible). */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  // getRandomValues fills at most 65,536 bytes per call
  for (let offset = 0; offset < length; offset += 65_536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
  }
  return out;
}

/** Text of random lowercase letters: compresses only to about 60 %, and is valid UTF-8. */
export function randomText(length: number): string {
  const bytes = randomBytes(length);
  for (let i = 0; i < length; i++) bytes[i] = 0x61 + (bytes[i]! % 26);
  return new TextDecoder().decode(bytes);
}

/**
 * Compresses one message on its own (a fresh LZ77 window) as rfc7692#section-7.2.1 says:
 * DEFLATE, sync flush, the trailing 0x00 0x00 0xff 0xff removed. A small `memLevel` makes
 * zlib store incompressible data in small blocks, so the output grows the most (4% at 1).
 */
export function deflateMessage(data: Uint8Array, windowBits = 15, memLevel = 8): Uint8Array {
  const out = new Uint8Array(
    deflateRawSync(data, { windowBits, memLevel, finishFlush: constants.Z_SYNC_FLUSH }),
  );
  if (!endsWithTail(out)) throw new Error("deflateRawSync did not end with a sync flush");
  return out.subarray(0, out.length - 4);
}

/** Inflates one message on its own (rfc7692#section-7.2.2: the tail appended first). */
export function inflateMessage(payload: Uint8Array, windowBits = 15): Uint8Array {
  return new Uint8Array(
    inflateRawSync(join([payload, TAIL]), { windowBits, finishFlush: constants.Z_SYNC_FLUSH }),
  );
}

function endsWithTail(bytes: Uint8Array): boolean {
  const n = bytes.length;
  return n >= 4 && bytes[n - 4] === 0 && bytes[n - 3] === 0 && bytes[n - 2] === 0xff &&
    bytes[n - 1] === 0xff;
}

/** Runs one write-and-sync-flush on a zlib stream and returns what it produced. */
class FlushingStream {
  readonly #stream: DeflateRaw | InflateRaw;
  #chunks: Uint8Array[] = [];
  #error: Error | undefined;

  constructor(stream: DeflateRaw | InflateRaw) {
    this.#stream = stream;
    stream.on("data", (chunk: Uint8Array) => this.#chunks.push(new Uint8Array(chunk)));
    stream.on("error", (error: Error) => this.#error = error);
  }

  async run(input: Uint8Array): Promise<Uint8Array> {
    if (this.#error !== undefined) throw this.#error;
    this.#chunks = [];
    this.#stream.write(input);
    await new Promise<void>((resolve) => this.#stream.flush(constants.Z_SYNC_FLUSH, resolve));
    if (this.#error !== undefined) throw this.#error;
    return join(this.#chunks);
  }

  close(): void {
    this.#stream.close();
  }
}

/**
 * A compressor that keeps its LZ77 window from message to message (context takeover,
 * rfc7692#section-7.2.1), as a client that did not agree to `client_no_context_takeover` may.
 */
export class ContextDeflater {
  readonly #stream: FlushingStream;

  constructor(windowBits = 15) {
    this.#stream = new FlushingStream(createDeflateRaw({ windowBits }));
  }

  /** One message's compressed payload, tail removed. */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const out = await this.#stream.run(data);
    if (!endsWithTail(out)) throw new Error("the sync flush did not end with 00 00 ff ff");
    return out.subarray(0, out.length - 4);
  }

  close(): void {
    this.#stream.close();
  }
}

/**
 * A decompressor that keeps its window from message to message, as an endpoint must when the
 * peer may take its context over (rfc7692#section-7.2.2).
 */
export class ContextInflater {
  readonly #stream: FlushingStream;

  constructor(windowBits = 15) {
    this.#stream = new FlushingStream(createInflateRaw({ windowBits }));
  }

  async decompress(payload: Uint8Array): Promise<Uint8Array> {
    return await this.#stream.run(join([payload, TAIL]));
  }

  close(): void {
    this.#stream.close();
  }
}

/** One element of a `Sec-WebSocket-Extensions` value. */
export interface ExtensionElement {
  name: string;
  params: [string, string | null][];
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Reads a `Sec-WebSocket-Extensions` value (rfc6455#section-9.1): comma-separated elements,
 * each a token with `; name[=value]` parameters, a value a token or a quoted string. Throws on
 * anything else, naming what it met.
 */
export function parseExtensions(value: string): ExtensionElement[] {
  const out: ExtensionElement[] = [];
  for (const element of value.split(",")) {
    const [name = "", ...params] = element.split(";").map((part) => part.trim());
    if (!TOKEN.test(name)) throw new Error(`extension name ${JSON.stringify(name)} is no token`);
    const parsed: [string, string | null][] = [];
    for (const param of params) {
      const eq = param.indexOf("=");
      const key = (eq === -1 ? param : param.slice(0, eq)).trim();
      if (!TOKEN.test(key)) throw new Error(`parameter ${JSON.stringify(key)} is no token`);
      if (eq === -1) {
        parsed.push([key, null]);
        continue;
      }
      let raw = param.slice(eq + 1).trim();
      if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) raw = raw.slice(1, -1);
      if (!TOKEN.test(raw)) throw new Error(`value ${JSON.stringify(raw)} is no token`);
      parsed.push([key, raw]);
    }
    out.push({ name, params: parsed });
  }
  return out;
}

/** A permessage-deflate response, read. */
export interface PmdResponse {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | undefined;
}

/**
 * Checks a server's `Sec-WebSocket-Extensions` answer as a client must (rfc7692#section-5,
 * rfc7692#section-7.1): exactly one permessage-deflate element, only the four parameters,
 * none repeated, the `*_no_context_takeover` ones without a value, the window sizes decimal
 * 8..15 without leading zeros (and `client_max_window_bits` with a value, in a response).
 * Throws with the reason; returns what it says.
 */
export function readPmdResponse(value: string): PmdResponse {
  const elements = parseExtensions(value).filter((e) => e.name === "permessage-deflate");
  if (elements.length !== 1) {
    throw new Error(`${elements.length} permessage-deflate elements in ${JSON.stringify(value)}`);
  }
  const out: PmdResponse = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  const seen = new Set<string>();
  for (const [name, raw] of elements[0]!.params) {
    if (seen.has(name)) throw new Error(`parameter ${name} repeated in ${value}`);
    seen.add(name);
    switch (name) {
      case "server_no_context_takeover":
      case "client_no_context_takeover":
        if (raw !== null) throw new Error(`${name} has a value in ${value}`);
        if (name === "server_no_context_takeover") out.serverNoContextTakeover = true;
        else out.clientNoContextTakeover = true;
        break;
      case "server_max_window_bits":
      case "client_max_window_bits": {
        if (raw === null || !/^(8|9|1[0-5])$/.test(raw)) {
          throw new Error(`${name} has value ${raw} in ${value}, not 8..15`);
        }
        if (name === "server_max_window_bits") out.serverMaxWindowBits = Number(raw);
        else out.clientMaxWindowBits = Number(raw);
        break;
      }
      default:
        throw new Error(`unknown parameter ${name} in ${value}`);
    }
  }
  return out;
}
