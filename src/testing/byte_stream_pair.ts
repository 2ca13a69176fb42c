/**
 * Two connected in-memory byte streams: a socket pair without a network.
 *
 * @module
 */

import type { ByteStream } from "../streams/byte_stream.ts";

/**
 * Two {@linkcode ByteStream}s joined back to back: what one end writes, the other reads.
 *
 * They behave like the two ends of a TCP connection: a write waits while the other end does not
 * read (a full window, so backpressure is exact), closing a writable ends the other end's
 * readable once it has read what came before (a FIN), and aborting a writable or cancelling a
 * readable errors the other end at once, even with writes waiting (a reset). A plain
 * `TransformStream` is not enough for that last part: aborting its writable waits for a write
 * that waits for a reader, so a peer that never reads could never be dropped.
 *
 * Use it to put a `Connection` under test against a raw peer that writes exactly the bytes a
 * case needs, or to wire two connections with {@linkcode connectedPair}.
 *
 * @example A byte written on one end is read on the other
 * ```ts
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 *
 * const [left, right] = byteStreamPair();
 * const writer = left.writable.getWriter();
 * const reader = right.readable.getReader();
 * const [, { value }] = await Promise.all([writer.write(new Uint8Array([42])), reader.read()]);
 * if (value?.[0] !== 42) throw new Error("byte lost");
 * ```
 * @returns The two ends.
 */
export function byteStreamPair(): [ByteStream, ByteStream] {
  const leftToRight = pipe();
  const rightToLeft = pipe();
  return [
    { readable: rightToLeft.readable, writable: leftToRight.writable },
    { readable: leftToRight.readable, writable: rightToLeft.writable },
  ];
}

/** One direction: writes go to the readable; a write waits until the reader has taken it. */
function pipe(): { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> } {
  let source!: ReadableStreamDefaultController<Uint8Array>;
  let sink!: WritableStreamDefaultController;
  // Settles the write that waits for the reader.
  let release: (() => void) | undefined;
  const releaseWrite = (): void => {
    const waiting = release;
    release = undefined;
    waiting?.();
  };
  const readable = new ReadableStream<Uint8Array>({
    start(controller): void {
      source = controller;
    },
    pull: releaseWrite,
    cancel(reason): void {
      sink.error(reason);
      releaseWrite();
    },
    // Room for one chunk: a write completes once the reader has taken it, as a socket write
    // does once the kernel has taken the bytes.
  }, { highWaterMark: 1 });
  const writable = new WritableStream<Uint8Array>({
    start(controller): void {
      sink = controller;
    },
    write(chunk): Promise<void> | undefined {
      // A copy, as the kernel takes one: the writer may reuse its buffer once the write is
      // done, while the reader may keep views of what it read (a streamed message does).
      source.enqueue(chunk.slice());
      if ((source.desiredSize ?? 0) > 0) return undefined;
      return new Promise<void>((resolve, reject) => {
        // An abort must not wait for the reader: the write fails, and the abort goes through.
        const aborted = (): void => reject(sink.signal.reason);
        sink.signal.addEventListener("abort", aborted, { once: true });
        release = () => {
          sink.signal.removeEventListener("abort", aborted);
          resolve();
        };
      });
    },
    close(): void {
      source.close();
    },
    abort(reason): void {
      source.error(reason);
    },
  });
  return { readable, writable };
}
