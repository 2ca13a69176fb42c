/**
 * What every adapter's `listen` returns.
 *
 * @module
 */

import type { ByteStream, NetAddr } from "../streams/byte_stream.ts";

/**
 * Options every adapter's `listen` takes.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "@wsflow/wsflow";
 * const options: ListenOptions = { hostname: "127.0.0.1", port: 0 };
 * console.log(options.port);
 * ```
 */
export interface ListenOptions {
  /**
   * Address to bind.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Port to bind; 0 picks a free one (read it back from `addr`).
   * @default {8080}
   */
  port?: number;
}

/**
 * A listening socket: accepted connections as byte streams.
 *
 * @example
 * ```ts ignore
 * import { listen } from "@wsflow/wsflow/deno";
 * const listener = await listen({ port: 0 });
 * for await (const stream of listener) stream.writable.close();
 * ```
 */
export interface Listener extends AsyncIterable<ByteStream> {
  /** The bound address, with the real port. */
  readonly addr: NetAddr;
  /** Stops accepting; connections already accepted are not touched. */
  close(): Promise<void>;
}

/**
 * Turns a callback-driven accept loop into an async iterable of byte streams, so every
 * adapter's listener has the same shape. Accepted streams wait in a queue until iterated.
 */
export class AcceptQueue implements AsyncIterable<ByteStream> {
  #queue: ByteStream[] = [];
  #waiters: ((result: IteratorResult<ByteStream>) => void)[] = [];
  #closed = false;

  /** Adds an accepted stream. */
  push(stream: ByteStream): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter({ done: false, value: stream });
    else this.#queue.push(stream);
  }

  /** Ends the iteration once the queue is empty. */
  end(): void {
    this.#closed = true;
    for (const waiter of this.#waiters) waiter({ done: true, value: undefined });
    this.#waiters = [];
  }

  [Symbol.asyncIterator](): AsyncIterator<ByteStream> {
    return {
      next: (): Promise<IteratorResult<ByteStream>> => {
        const stream = this.#queue.shift();
        if (stream !== undefined) return Promise.resolve({ done: false, value: stream });
        if (this.#closed) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => this.#waiters.push(resolve));
      },
    };
  }
}
