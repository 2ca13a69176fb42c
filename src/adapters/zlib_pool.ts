/**
 * Pools of reset zlib streams for the permessage-deflate engine (`zlib_deflate.ts`), for
 * directions without context takeover: each message borrows a stream and gives it back reset,
 * so idle connections hold no zlib memory and no stream is built per message. Streams with equal
 * keys (same kind, window, level, memory level, chunk size) are interchangeable once reset.
 *
 * @module
 */

import { ZlibStream, type ZlibStreamLike } from "./zlib_stream.ts";

/**
 * How a codec gets its zlib streams: what kind (the pool key), how to build one, and whether it
 * takes a reset one from the pool per message or keeps its own.
 *
 * @example
 * ```ts ignore
 * const recipe: StreamRecipe = {
 *   key: "inflate:15:16384",
 *   create: () => createInflateRaw({ windowBits: 15 }),
 *   resetEachMessage: true,
 * };
 * ```
 */
export interface StreamRecipe {
  /** Pool key: streams with equal keys are interchangeable once reset. */
  key: string;
  /** Builds a fresh stream of this kind. */
  create: () => ZlibStreamLike;
  /** `no_context_takeover` for this direction: borrow a reset stream per message. */
  resetEachMessage: boolean;
}

/**
 * Idle reset streams by key, at most `maxIdle` per key.
 *
 * @example
 * ```ts ignore
 * const pools = new StreamPools(10);
 * const stream = pools.borrow(recipe);
 * const pass = await stream.run(input, undefined, maxBytes);
 * pools.giveBack(recipe, stream, !pass.ended);
 * ```
 */
export class StreamPools {
  readonly #pools = new Map<string, ZlibStream[]>();
  #maxIdle: number;

  /** @param maxIdle How many idle streams each key keeps. */
  constructor(maxIdle: number) {
    this.#maxIdle = maxIdle;
  }

  /** Idle streams, all keys together. */
  get idle(): number {
    let idle = 0;
    for (const pool of this.#pools.values()) idle += pool.length;
    return idle;
  }

  /** Changes how many idle streams each key keeps, closing any beyond it. */
  setMaxIdle(maxIdle: number): void {
    this.#maxIdle = maxIdle;
    for (const pool of this.#pools.values()) {
      while (pool.length > maxIdle) pool.pop()!.close(undefined);
    }
  }

  /** An idle stream of the recipe's kind, or a new one. */
  borrow(recipe: StreamRecipe): ZlibStream {
    return this.#pools.get(recipe.key)?.pop() ?? new ZlibStream(recipe.create());
  }

  /**
   * Takes a stream back after a message: reset and kept if `reusable` and there is room,
   * closed otherwise.
   */
  giveBack(recipe: StreamRecipe, stream: ZlibStream, reusable: boolean): void {
    if (!reusable || !stream.reusable) {
      stream.close(undefined);
      return;
    }
    // rfc7692#section-7.2.1: without context takeover, each message starts with an empty window
    try {
      stream.reset();
    } catch (error) {
      stream.close(error);
      return;
    }
    let pool = this.#pools.get(recipe.key);
    if (pool === undefined) {
      pool = [];
      this.#pools.set(recipe.key, pool);
    }
    if (pool.length < this.#maxIdle) pool.push(stream);
    else stream.close(undefined);
  }
}
