/**
 * Sending one message from a stream: each chunk goes out as a fragment as soon as it is read,
 * and the next chunk is read only once the socket takes more (backpressure).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 */

import { Opcode } from "../protocol/opcode.ts";
import type { Session } from "../protocol/session.ts";
import type { FrameWriter } from "./frame_writer.ts";

/**
 * What {@linkcode Connection.sendStream} sends: a web `ReadableStream` or any async iterable of
 * byte chunks (or strings, sent as their UTF-8).
 *
 * @example
 * ```ts
 * import type { MessageSource } from "@wsflow/wsflow";
 * async function* lines(): AsyncGenerator<string> {
 *   yield "one\n";
 *   yield "two\n";
 * }
 * const source: MessageSource = lines();
 * console.log(Symbol.asyncIterator in source); // true
 * ```
 */
export type MessageSource =
  | ReadableStream<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>;

/**
 * Largest fragment sent: larger chunks are split, so a peer with the common 16 MiB frame limit
 * (or python websockets' 1 MiB) takes them, and one fragment never holds up control frames long.
 */
export const MAX_SENT_FRAGMENT: number = 1024 * 1024;

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * Sends one message from `source` as fragments (rfc6455#section-5.4): a Text or Binary frame,
 * then Continuations, and an empty final Continuation once the source ends (the last chunk is
 * not known before then). Waits for the socket after each fragment.
 *
 * @example
 * ```ts ignore
 * const started = await writeMessageStream(session, frames, readable, Opcode.Binary, state);
 * ```
 * @param session Where the fragments are queued.
 * @param frames Flushes them and says when more may go.
 * @param source The message's chunks.
 * @param opcode `Opcode.Text` or `Opcode.Binary`.
 * @param progress Set to `true` once the first fragment is queued (so a failure after it is
 *   known to leave a message unfinished on the wire).
 * @returns Resolves once the final fragment is queued and the socket takes more.
 * @throws (rejects) With the source's error, or `ConnectionClosedError` once the connection is
 *   closing; the source is cancelled then.
 */
export async function writeMessageStream(
  session: Session,
  frames: FrameWriter,
  source: MessageSource,
  opcode: typeof Opcode.Text | typeof Opcode.Binary,
  progress: { started: boolean },
): Promise<void> {
  const iterator: AsyncIterator<Uint8Array | string> = source instanceof ReadableStream
    ? readerIterator(source.getReader())
    : source[Symbol.asyncIterator]();
  let next: Opcode = opcode;
  try {
    while (true) {
      const { value, done } = await iterator.next();
      if (done) break;
      const bytes = typeof value === "string" ? encoder.encode(value) : value;
      for (let at = 0; at < bytes.length; at += MAX_SENT_FRAGMENT) {
        const fragment = bytes.length <= MAX_SENT_FRAGMENT
          ? bytes
          : bytes.subarray(at, at + MAX_SENT_FRAGMENT);
        session.sendFragment(next, fragment, false);
        next = Opcode.Continuation;
        progress.started = true;
        await frames.afterWrite(false);
      }
    }
    session.sendFragment(next, EMPTY, true);
    await frames.afterWrite(false);
  } catch (error) {
    try {
      await iterator.return?.();
    } catch {
      // The source failed itself; its error is the one reported.
    }
    throw error;
  }
}

/** An iterator over a stream's reader whose `return` cancels the stream. */
function readerIterator(
  reader: ReadableStreamDefaultReader<Uint8Array | string>,
): AsyncIterator<Uint8Array | string> {
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array | string>>,
    return: async (): Promise<IteratorResult<Uint8Array | string>> => {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}
