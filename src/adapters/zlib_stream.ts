/**
 * One `node:zlib` stream of the permessage-deflate engine (`zlib_deflate.ts`), run one message
 * at a time: its listeners stay attached for life, so an error never escapes as an uncaught
 * exception, and its output is counted chunk by chunk, so a decompression bomb is stopped within
 * one chunk of its limit (rfc6455#section-10.4).
 *
 * @module
 */

import type { DeflateRaw, InflateRaw } from "node:zlib";
import { MessageTooBigError } from "../protocol/errors.ts";

/**
 * The raw deflate or inflate stream `node:zlib` makes.
 *
 * @example
 * ```ts ignore
 * const stream: ZlibStreamLike = createInflateRaw({ windowBits: 15 });
 * ```
 */
export type ZlibStreamLike = DeflateRaw | InflateRaw;

/**
 * What one write produced.
 *
 * @example
 * ```ts ignore
 * const pass: Pass = await stream.run(input, undefined, Infinity);
 * console.log(pass.length, pass.ended);
 * ```
 */
export interface Pass {
  /** The output, in zlib's chunks. */
  chunks: Uint8Array[];
  /** Output bytes, all chunks together. */
  length: number;
  /** Input bytes zlib took; fewer than written when the DEFLATE stream ended (BFINAL). */
  consumed: number;
  /** The DEFLATE stream ended: the zlib stream cannot take more input. */
  ended: boolean;
}

interface Pending {
  chunks: Uint8Array[];
  length: number;
  maxBytes: number;
  resolve: (pass: Pass) => void;
  reject: (error: unknown) => void;
}

/**
 * A zlib stream with its listeners attached for life, running one write at a time and routing
 * its output, errors and end to that write's promise. Whatever settles first (the write's
 * callback, an `error` event, the output limit, `close`) wins; the rest are ignored. The runtimes
 * differ in order: Node and Bun emit `error` and never call back, Deno calls back first.
 *
 * @example
 * ```ts ignore
 * const stream = new ZlibStream(createDeflateRaw({ flush: constants.Z_SYNC_FLUSH }));
 * const pass = await stream.run(new TextEncoder().encode("Hello"), undefined, Infinity);
 * stream.close(undefined);
 * ```
 */
export class ZlibStream {
  readonly #stream: ZlibStreamLike;
  #pending: Pending | undefined;
  #broken = false;

  /** @param stream A fresh zlib stream, which this one now owns. */
  constructor(stream: ZlibStreamLike) {
    this.#stream = stream;
    stream.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    stream.on("error", (error: Error) => this.#fail(error));
  }

  /** Whether the stream can take another message after a reset. */
  get reusable(): boolean {
    const stream = this.#stream;
    return !this.#broken && !stream.destroyed && !stream.readableEnded;
  }

  /**
   * Writes `input` (then `tail`, if any) and resolves with the output once zlib has taken it
   * all; rejects with `MessageTooBigError` as soon as the output passes `maxBytes`.
   */
  run(input: Uint8Array, tail: Uint8Array | undefined, maxBytes: number): Promise<Pass> {
    return new Promise<Pass>((resolve, reject) => {
      const stream = this.#stream;
      const pending: Pending = { chunks: [], length: 0, maxBytes, resolve, reject };
      this.#pending = pending;
      const before = stream.bytesWritten;
      const written = input.length + (tail?.length ?? 0);
      const done = (error?: Error | null): void => {
        if (this.#pending !== pending) return;
        // Deno calls back before it emits `error`, with `errored` already set.
        const failure = error ?? stream.errored;
        if (failure) {
          this.#fail(failure);
          return;
        }
        this.#pending = undefined;
        const consumed = stream.bytesWritten - before;
        resolve({
          chunks: pending.chunks,
          length: pending.length,
          consumed,
          ended: consumed < written || stream.readableEnded,
        });
      };
      try {
        if (tail !== undefined) stream.write(input);
        stream.write(tail ?? input, done);
      } catch (error) {
        this.#fail(error);
      }
    });
  }

  /** Empties the LZ77 window and state, for the next message to start afresh. */
  reset(): void {
    this.#stream.reset();
  }

  /** Destroys the stream; a pending write rejects with `reason`. */
  close(reason: unknown): void {
    this.#fail(reason);
  }

  #onData(chunk: Uint8Array): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    pending.length += chunk.length;
    if (pending.length > pending.maxBytes) {
      // Checked per output chunk: zlib is stopped before it inflates any further.
      this.#fail(
        new MessageTooBigError(
          `Cannot accept message: it inflates to more than ${pending.maxBytes} bytes, ` +
            `stopped at ${pending.length} (rfc6455#section-10.4)`,
        ),
      );
      return;
    }
    pending.chunks.push(chunk);
  }

  #fail(error: unknown): void {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!this.#broken) {
      this.#broken = true;
      this.#stream.close();
    }
    pending?.reject(error);
  }
}
