/**
 * The permessage-deflate engine on `node:zlib`, which Deno, Bun and Node all provide: one
 * message in, one message out (rfc7692#section-7.2).
 *
 * - **Compressing** a message writes it to a raw deflate stream with a sync flush and removes the
 *   trailing `0x00 0x00 0xff 0xff` (rfc7692#section-7.2.1).
 * - **Decompressing** appends those four bytes and inflates (rfc7692#section-7.2.2), counting the
 *   output chunk by chunk: past `maxBytes` the stream is destroyed at once and the promise
 *   rejects with `MessageTooBigError` (1009), so a 16 KiB bomb of 16 MiB of zeros costs at most
 *   `maxBytes` plus one chunk (16 KiB), never the full output.
 * - **Context takeover** keeps one zlib stream per direction per connection. Where
 *   `no_context_takeover` was agreed for a direction, no stream is held between messages: each
 *   message borrows one from a process-wide pool of reset streams and gives it back, so idle
 *   connections hold no zlib memory and no stream is built per message.
 * - **Concurrency**: zlib work runs on the runtime's thread pool (Node, Bun) or the main thread
 *   (Deno); at most {@linkcode DEFAULT_ZLIB_CONCURRENCY} compressions and decompressions run at
 *   once across the process and the rest wait in order, which bounds zlib's memory and the
 *   fragmentation unbounded parallel zlib work causes. {@linkcode setZlibConcurrency} changes it.
 * - **Corrupt data** rejects with `InvalidPayloadError` (1007): the frame was well formed but
 *   its payload is not the DEFLATE data RSV1 announced, which is what 1007 is for
 *   (rfc6455#section-7.4.1, like invalid UTF-8 in a text message); `ws` sends 1007 too. A codec
 *   that failed stays failed.
 * - **BFINAL**: a peer may end a message's DEFLATE stream with a final block (the RFC's
 *   example pads it with one more byte, rfc7692#section-7.2.3.4). Whatever follows the final
 *   block in that message is ignored, and the next message starts a new stream with an empty
 *   window.
 * - **8-bit windows**: zlib cannot set up a raw deflate stream with windowBits 8, so the
 *   compressor uses 9 there; zlib's 9-bit compressor never reaches back more than 250 bytes, so
 *   its output is valid for the 8-bit window the wire agreed.
 *
 * Errors never escape as uncaught exceptions: every stream has its `error` listener for life,
 * and every failure settles the operation's promise. Calls on one codec run one after another
 * in call order, so they need not be awaited one by one; the bytes given to a call must not
 * change until its promise settles (zlib may read them on another thread).
 *
 * This file holds the engine and its two codecs; the parts they share have files of their own:
 * `zlib_limiter.ts` (the process-wide queue), `zlib_stream.ts` (one zlib stream, one message at
 * a time) and `zlib_pool.ts` (the reset streams of `no_context_takeover` directions).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.2}
 */

import { constants, createDeflateRaw, createInflateRaw } from "node:zlib";
import { InvalidPayloadError, WebSocketError } from "../protocol/errors.ts";
import type { Role } from "../protocol/frame.ts";
import type { DeflateParams } from "../protocol/permessage_deflate.ts";
import type { DeflateEngine, MessageDeflater, MessageInflater } from "../streams/deflate_engine.ts";
import { Limiter } from "./zlib_limiter.ts";
import { StreamPools, type StreamRecipe } from "./zlib_pool.ts";
import { type Pass, ZlibStream } from "./zlib_stream.ts";

export type { MessageDeflater, MessageInflater };

export type { DeflateEngine };

/**
 * Tuning of {@linkcode createZlibDeflateEngine}. The window is not here: it comes from the
 * negotiation.
 *
 * @example Faster, lighter compression
 * ```ts
 * import { createZlibDeflateEngine, type ZlibDeflateEngineOptions } from "@wsflow/wsflow/node";
 * const options: ZlibDeflateEngineOptions = { level: 1, memLevel: 7 };
 * const engine = createZlibDeflateEngine(options);
 * ```
 */
export interface ZlibDeflateEngineOptions {
  /**
   * Compression level, 0 (store) to 9 (smallest), or -1 for zlib's default (6).
   * @default {-1}
   */
  level?: number;
  /**
   * zlib's memory level, 1..9. A compressor takes `2 ** (windowBits + 2)` bytes for its window
   * plus `2 ** (memLevel + 9)` for its hash tables: 256 KiB at windowBits 15 and memLevel 8,
   * and each step down halves the second part. Decompressors do not use it.
   * @default {8}
   */
  memLevel?: number;
  /**
   * Bytes zlib writes per output chunk (at least 64). A decompression is stopped within one
   * chunk of `maxBytes`, and every held stream keeps one chunk-sized buffer.
   * @default {16_384}
   */
  chunkSize?: number;
}

/**
 * How many zlib operations run at once across the process unless
 * {@linkcode setZlibConcurrency} says otherwise; the same as `ws`.
 *
 * @example
 * ```ts
 * import { DEFAULT_ZLIB_CONCURRENCY } from "@wsflow/wsflow/node";
 * console.log(DEFAULT_ZLIB_CONCURRENCY); // 10
 * ```
 */
export const DEFAULT_ZLIB_CONCURRENCY = 10;

/**
 * Builds a {@linkcode DeflateEngine} on `node:zlib` with the given tuning.
 *
 * @example
 * ```ts
 * import { createZlibDeflateEngine } from "@wsflow/wsflow/node";
 * const engine = createZlibDeflateEngine({ level: 1 });
 * const params = {
 *   serverNoContextTakeover: true, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 10, clientMaxWindowBits: 15,
 * };
 * const deflater = engine.deflater(params, "server");
 * console.log((await deflater.compress(new Uint8Array(4096))).length < 100); // true
 * deflater.close();
 * ```
 * @param options Level, memory level and chunk size.
 * @returns The engine.
 * @throws {RangeError} When an option is out of range.
 */
export function createZlibDeflateEngine(options: ZlibDeflateEngineOptions = {}): DeflateEngine {
  const level = checkInteger("level", options.level ?? constants.Z_DEFAULT_COMPRESSION, -1, 9);
  const memLevel = checkInteger("memLevel", options.memLevel ?? 8, 1, 9);
  const chunkSize = checkInteger("chunkSize", options.chunkSize ?? 16 * 1024, 64, 2 ** 30);
  return {
    deflater(params: DeflateParams, role: Role): MessageDeflater {
      const own = role === "server"
        ? { bits: params.serverMaxWindowBits, reset: params.serverNoContextTakeover }
        : { bits: params.clientMaxWindowBits, reset: params.clientNoContextTakeover };
      // zlib refuses a raw deflate stream with an 8-bit window (Node quietly raises it to 9,
      // other builds may not). Its 9-bit compressor never reaches back further than 250 bytes
      // (the window minus its 262-byte lookahead), so its output is valid for an 8-bit window.
      const windowBits = Math.max(9, checkWindowBits("deflater", own.bits));
      return new ZlibMessageDeflater({
        key: `deflate:${windowBits}:${level}:${memLevel}:${chunkSize}`,
        create: () =>
          createDeflateRaw({
            windowBits,
            level,
            memLevel,
            chunkSize,
            // Every write ends with a sync flush, so one write is one message's whole output.
            flush: constants.Z_SYNC_FLUSH,
          }),
        resetEachMessage: own.reset,
      });
    },
    inflater(params: DeflateParams, role: Role): MessageInflater {
      const peer = role === "server"
        ? { bits: params.clientMaxWindowBits, reset: params.clientNoContextTakeover }
        : { bits: params.serverMaxWindowBits, reset: params.serverNoContextTakeover };
      const windowBits = checkWindowBits("inflater", peer.bits);
      return new ZlibMessageInflater({
        key: `inflate:${windowBits}:${chunkSize}`,
        create: () => createInflateRaw({ windowBits, chunkSize, flush: constants.Z_SYNC_FLUSH }),
        resetEachMessage: peer.reset,
      });
    },
  };
}

/**
 * The {@linkcode DeflateEngine} with zlib's default level, memory level 8 and 16 KiB chunks.
 *
 * @example
 * ```ts
 * import { zlibDeflateEngine } from "@wsflow/wsflow/node";
 * const params = {
 *   serverNoContextTakeover: false, clientNoContextTakeover: false,
 *   serverMaxWindowBits: 15, clientMaxWindowBits: 15,
 * };
 * const inflater = zlibDeflateEngine.inflater(params, "client");
 * const hello = await inflater.decompress(new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), 1024);
 * console.log(new TextDecoder().decode(hello)); // Hello
 * inflater.close();
 * ```
 */
export const zlibDeflateEngine: DeflateEngine = createZlibDeflateEngine();

/**
 * Sets how many compressions and decompressions may run at once across the process (the
 * others wait in order). Raising it starts waiting work at once; lowering it lets running work
 * finish. It also caps how many idle streams each pool of reset streams keeps.
 *
 * @example
 * ```ts
 * import { DEFAULT_ZLIB_CONCURRENCY, setZlibConcurrency, zlibQueueState } from "@wsflow/wsflow/node";
 * setZlibConcurrency(4); // a small machine
 * console.log(zlibQueueState().limit); // 4
 * setZlibConcurrency(DEFAULT_ZLIB_CONCURRENCY);
 * ```
 * @param limit A positive integer.
 * @throws {RangeError} When `limit` is not a positive integer.
 */
export function setZlibConcurrency(limit: number): void {
  checkInteger("concurrency", limit, 1, Number.MAX_SAFE_INTEGER);
  limiter.setLimit(limit);
  pools.setMaxIdle(limit);
}

/**
 * A snapshot of the process-wide zlib queue, for metrics and tests.
 *
 * @example
 * ```ts
 * import { type ZlibQueueState, zlibQueueState } from "@wsflow/wsflow/node";
 * const state: ZlibQueueState = zlibQueueState();
 * console.log(state.limit, state.running, state.waiting); // 10 0 0
 * ```
 */
export interface ZlibQueueState {
  /** The concurrency limit. */
  limit: number;
  /** Operations running now. */
  running: number;
  /** Operations waiting for a place. */
  waiting: number;
  /** Idle reset streams kept for `no_context_takeover` directions, all pools together. */
  pooled: number;
}

/**
 * Reads the process-wide zlib queue: its limit, what runs, what waits, what idles in the pools.
 *
 * @example
 * ```ts
 * import { zlibQueueState } from "@wsflow/wsflow/node";
 * const { running, waiting } = zlibQueueState();
 * console.log(running <= 10, waiting); // true 0
 * ```
 * @returns The current state.
 */
export function zlibQueueState(): ZlibQueueState {
  const { limit, running, waiting } = limiter;
  return { limit, running, waiting, pooled: pools.idle };
}

// The process-wide state: one queue for all zlib work, one set of pools for all codecs.
const limiter = new Limiter(DEFAULT_ZLIB_CONCURRENCY);
const pools = new StreamPools(DEFAULT_ZLIB_CONCURRENCY);

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
// Below this, payload and tail are copied into one write: a second write costs a second trip
// through zlib (on Node, a thread-pool round trip) that outweighs copying a few KiB.
const JOIN_TAIL_BELOW = 16 * 1024;
const noop = (): void => {};

/** The machinery both directions share: ordering, the queue, which stream, close. */
abstract class MessageCodec {
  /** What the codec does, for messages: "compress" or "decompress". */
  protected abstract readonly verb: string;
  readonly #recipe: StreamRecipe;
  #own: ZlibStream | undefined;
  #active: ZlibStream | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;
  #failure: unknown;

  constructor(recipe: StreamRecipe) {
    this.#recipe = recipe;
  }

  /** Runs `work` after every earlier call of this codec, within the process-wide limit. */
  protected enqueue<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(() => limiter.run(work));
    this.#tail = result.then(noop, noop);
    return result;
  }

  /** Throws when closed or failed before: a codec that failed once stays failed. */
  protected checkUsable(): void {
    if (this.#closed) throw closedError(this.verb);
    if (this.#failure !== undefined) throw this.#failure;
  }

  /** One pass through the stream for this message: the own one, or a borrowed reset one. */
  protected async pass(
    input: Uint8Array,
    tail: Uint8Array | undefined,
    maxBytes: number,
  ): Promise<Pass> {
    const recipe = this.#recipe;
    const stream = recipe.resetEachMessage
      ? pools.borrow(recipe)
      : (this.#own ??= new ZlibStream(recipe.create()));
    this.#active = stream;
    let reusable = false;
    try {
      const pass = await stream.run(input, tail, maxBytes);
      // A DEFLATE stream that ended (BFINAL) takes no more input: the next message gets a new
      // one.
      reusable = !pass.ended;
      return pass;
    } finally {
      this.#active = undefined;
      if (recipe.resetEachMessage) {
        pools.giveBack(recipe, stream, reusable);
      } else if (!reusable) {
        stream.close(undefined);
        this.#own = undefined;
      }
    }
  }

  /** Remembers `error` as this codec's failure and returns it. */
  protected failed(error: unknown): unknown {
    if (!this.#closed) this.#failure ??= error;
    return error;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#active?.close(closedError(this.verb));
    this.#own?.close(undefined);
    this.#own = undefined;
  }
}

class ZlibMessageDeflater extends MessageCodec implements MessageDeflater {
  protected readonly verb = "compress";

  compress(data: Uint8Array): Promise<Uint8Array> {
    return this.enqueue(async () => {
      this.checkUsable();
      // rfc7692#section-7.2.3.6: an empty message is the single octet 0x00, an empty block with
      // no compression whose LEN and NLEN the tail supplies. zlib would write nothing at all
      // for a sync flush right after another one, and the stream is byte-aligned and empty
      // after every message, so 0x00 is what it would mean.
      if (data.length === 0) return new Uint8Array(1);
      try {
        const pass = await this.pass(data, undefined, Infinity);
        // rfc7692#section-7.2.1: the sync flush ends the output with an empty stored block,
        // 0x00 0x00 0xff 0xff; remove those 4 octets
        if (!endsWithTail(pass)) {
          throw new Error("Cannot compress message: zlib did not end it with a sync flush");
        }
        return join(pass, pass.length - TAIL.length);
      } catch (error) {
        throw this.failed(error);
      }
    });
  }
}

class ZlibMessageInflater extends MessageCodec implements MessageInflater {
  protected readonly verb = "decompress";

  decompress(payload: Uint8Array, maxBytes: number): Promise<Uint8Array> {
    if (!(maxBytes >= 0)) {
      return Promise.reject(
        new RangeError(`Cannot decompress: maxBytes ${maxBytes} is not a non-negative number`),
      );
    }
    return this.enqueue(async () => {
      this.checkUsable();
      // No compressor writes an empty payload (an empty message deflates to 0x00,
      // rfc7692#section-7.2.3.6); the tail alone would leave the inflater inside a stored
      // block and garble the next message, so it is taken as the empty message it stands for.
      if (payload.length === 0) return new Uint8Array(0);
      try {
        let pass = await this.#inflate(payload, maxBytes);
        if (pass.consumed === 0) {
          // The previous message ended the DEFLATE stream exactly at its last byte (a final
          // stored block whose length was our tail), which zlib reports only now: this message
          // starts a new stream, as after any BFINAL.
          pass = await this.#inflate(payload, maxBytes);
        }
        return join(pass, pass.length);
      } catch (error) {
        throw this.failed(toInflateError(error));
      }
    });
  }

  /**
   * rfc7692#section-7.2.2: append 0x00 0x00 0xff 0xff to the payload and inflate. A final block
   * (BFINAL) ends the DEFLATE stream: what follows it in the payload (the RFC's own example
   * pads with one byte, section 7.2.3.4) is ignored, and the next message starts a new stream
   * with an empty window, as a peer that ends messages with BFINAL compresses each afresh.
   */
  #inflate(payload: Uint8Array, maxBytes: number): Promise<Pass> {
    if (payload.length < JOIN_TAIL_BELOW) {
      const joined = new Uint8Array(payload.length + TAIL.length);
      joined.set(payload);
      joined.set(TAIL, payload.length);
      return this.pass(joined, undefined, maxBytes);
    }
    return this.pass(payload, TAIL, maxBytes);
  }
}

/**
 * Corrupt DEFLATE data fails with 1007. RFC 7692 names no code; the frame was well formed and
 * its payload is not what RSV1 says it is, which is what 1007 means ("data within a message
 * that was not consistent with the type of the message", rfc6455#section-7.4.1), the same class
 * of error as invalid UTF-8 in a text message. `ws` sends 1007 too.
 */
function toInflateError(error: unknown): unknown {
  if (error instanceof WebSocketError || isAbort(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new InvalidPayloadError(
    `Cannot inflate message: the payload is not valid DEFLATE data, ${detail} ` +
      `(rfc7692#section-7.2.2)`,
    { cause: error },
  );
}

function closedError(verb: string): DOMException {
  return new DOMException(`Cannot ${verb}: the permessage-deflate codec is closed`, "AbortError");
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === "AbortError";
}

function endsWithTail(pass: Pass): boolean {
  let t = TAIL.length - 1;
  for (let c = pass.chunks.length - 1; c >= 0 && t >= 0; c--) {
    const chunk = pass.chunks[c]!;
    for (let i = chunk.length - 1; i >= 0 && t >= 0; i--, t--) {
      if (chunk[i] !== TAIL[t]) return false;
    }
  }
  return t < 0;
}

/** The first `length` bytes of the pass's output, as one plain `Uint8Array` of its own. */
function join(pass: Pass, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of pass.chunks) {
    if (offset >= length) break;
    const take = Math.min(chunk.length, length - offset);
    out.set(take === chunk.length ? chunk : chunk.subarray(0, take), offset);
    offset += take;
  }
  return out;
}

function checkWindowBits(what: string, bits: number): number {
  if (!Number.isInteger(bits) || bits < 8 || bits > 15) {
    throw new RangeError(
      `Cannot create permessage-deflate ${what}: window bits ${bits} is not an integer 8..15 ` +
        `(rfc7692#section-7.1.2)`,
    );
  }
  return bits;
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot use zlib option ${name}: ${value} is not an integer ${min}..${max}`,
    );
  }
  return value;
}
