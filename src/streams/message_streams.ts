/**
 * A connection's messages as web streams, in WebSocketStream's shape.
 *
 * @module
 */

import { CloseCode } from "../protocol/close_code.ts";
import type { Message } from "../protocol/message.ts";

/**
 * What these streams need of a connection: its message iterator, `send` and `close`. A shape of
 * its own, so that this file and `connection.ts` do not import each other.
 */
export interface MessageEndpoint extends AsyncIterable<Message> {
  /** Sends one message, resolving when it may be followed by another. */
  send(message: Message): Promise<void>;
  /** Starts the closing handshake. */
  close(code?: number): Promise<unknown>;
}

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
 * A sink that sends each chunk as one message, with the backpressure of `send`; closing or
 * aborting it closes the connection with 1000.
 *
 * @example
 * ```ts ignore
 * const writer = messageWritable(connection).getWriter();
 * await writer.write("hello");
 * ```
 * @param connection The connection.
 * @returns The stream.
 */
export function messageWritable(connection: MessageEndpoint): WritableStream<Message> {
  return new WritableStream<Message>({
    write: (chunk): Promise<void> => connection.send(chunk),
    close: async (): Promise<void> => {
      await connection.close(CloseCode.NormalClosure);
    },
    abort: async (): Promise<void> => {
      await connection.close(CloseCode.NormalClosure);
    },
  });
}
