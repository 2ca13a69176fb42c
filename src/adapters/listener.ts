/**
 * What every adapter's `listen` builds on: the accept queue. `Listener` and `ListenOptions`
 * live in layer 3 (`src/server/listener.ts`), where `serveListener` takes them; they are
 * re-exported here for the adapters.
 *
 * @module
 */

import type { ByteStream } from "../streams/byte_stream.ts";

export type { Listener, ListenOptions } from "../server/listener.ts";

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
