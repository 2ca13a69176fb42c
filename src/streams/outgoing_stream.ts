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
// The buffers a byte stream source is read into.
const BYOB_CHUNK = 64 * 1024;

function noop(): void {}

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
  if (source instanceof ReadableStream) {
    let reader: ReadableStreamBYOBReader | undefined;
    try {
      reader = source.getReader({ mode: "byob" });
    } catch {
      // Not a byte stream: read it chunk by chunk below.
    }
    if (reader !== undefined) return writeByteStream(session, frames, reader, opcode, progress);
  }
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

/**
 * Sends a byte stream's bytes (a received message's stream, say) read into two buffers of its
 * own, each read into again once its bytes have been written: no buffer per chunk, however big
 * the message. Two reads are kept waiting so that bytes arriving while one buffer is being
 * written can go straight into the other.
 */
async function writeByteStream(
  session: Session,
  frames: FrameWriter,
  reader: ReadableStreamBYOBReader,
  opcode: typeof Opcode.Text | typeof Opcode.Binary,
  progress: { started: boolean },
): Promise<void> {
  const reads = [readInto(reader, new ArrayBuffer(BYOB_CHUNK))];
  reads.push(readInto(reader, new ArrayBuffer(BYOB_CHUNK)));
  let next: Opcode = opcode;
  try {
    for (let turn = 0;; turn ^= 1) {
      const { value, done } = await reads[turn]!;
      if (done) break;
      session.sendFragment(next, value, false);
      next = Opcode.Continuation;
      progress.started = true;
      await frames.afterWrite(false);
      // The frame's payload may be this very buffer (large frames are written without a copy):
      // it is read into again only once the write has completed.
      frames.flush();
      await frames.written;
      reads[turn] = readInto(reader, value.buffer as ArrayBuffer);
    }
    session.sendFragment(next, EMPTY, true);
    await frames.afterWrite(false);
  } catch (error) {
    await reader.cancel().catch(noop);
    throw error;
  }
}

/** One BYOB read into `buffer`; a failure is handled where the read is awaited. */
function readInto(
  reader: ReadableStreamBYOBReader,
  buffer: ArrayBuffer,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  const read = reader.read(new Uint8Array(buffer)) as Promise<
    ReadableStreamReadResult<Uint8Array>
  >;
  read.catch(noop);
  return read;
}
