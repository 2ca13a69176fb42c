/**
 * A connection's messages as web streams, in WebSocketStream's shape.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";

/**
 * Where {@linkcode messageWritable} puts its chunks: `send` each, `close` to end. `T` is what the
 * writable accepts: a `Message` for a connection, any binary data for WebSocketStream, which
 * copies it into one.
 */
export interface MessageSink<T> {
  /** Sends one chunk as one message, resolving when it may be followed by another. */
  send(chunk: T): Promise<void>;
  /** Starts the closing handshake. */
  close(): Promise<unknown>;
}

/**
 * What {@linkcode messageReadable} needs of a connection: its message iterator, and `close`. A
 * shape of its own, so that this file and `connection.ts` do not import each other.
 */
export interface MessageEndpoint extends AsyncIterable<Message>, MessageSink<Message> {}

/**
 * Received messages as a stream, read through the connection's async iterator (so it shares one
 * queue with `for await`). Nothing is read ahead (high-water mark 0), so the connection's read
 * backpressure still applies. Cancelling it closes the connection.
 *
 * @example
 * ```ts ignore
 * const readable = messageReadable(connection);
 * for await (const message of readable) console.log(message);
 * ```
 * @param connection The connection.
 * @returns The stream of messages.
 */
export function messageReadable(connection: MessageEndpoint): ReadableStream<Message> {
  const messages = connection[Symbol.asyncIterator]();
  return new ReadableStream<Message>({
    pull: async (controller): Promise<void> => {
      const result = await messages.next();
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel: async (): Promise<void> => {
      await connection.close();
    },
  }, { highWaterMark: 0 });
}

/**
 * A stream that sends each chunk as one message, with the backpressure of `send`. Closing or
 * aborting it starts the closing handshake without a code (the peer sees 1005), as cancelling
 * {@linkcode messageReadable} does and as WebSocketStream's writable does; an application that
 * wants a code or a reason calls `close(code, reason)` instead.
 *
 * The one writable of both `Connection.writable` and WebSocketStream's `writable`.
 *
 * @example
 * ```ts ignore
 * const writer = messageWritable(connection).getWriter();
 * await writer.write("hello");
 * await writer.close(); // Close frame without a code
 * ```
 * @param sink Where the chunks go: a connection, or a wrapper that converts them first.
 * @returns The stream.
 */
export function messageWritable<T>(sink: MessageSink<T>): WritableStream<T> {
  return new WritableStream<T>({
    write: (chunk): Promise<void> => sink.send(chunk),
    close: async (): Promise<void> => {
      await sink.close();
    },
    abort: async (): Promise<void> => {
      await sink.close();
    },
  });
}
