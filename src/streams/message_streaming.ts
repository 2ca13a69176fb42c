/**
 * The receive side of a connection opened with `streaming`: the handler's iterator of message
 * streams, the compressed messages held whole until they can be inflated, and whole messages
 * handed over as streams.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.2.2}
 */

import { deflateWorstCase } from "../protocol/deflate_bound.ts";
import { MessageTooBigError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import type { Session } from "../protocol/session.ts";
import type { FrameWriter } from "./frame_writer.ts";
import { DONE } from "./inbound_queue.ts";
import { type IncomingMessageStream, IncomingStreams } from "./incoming_streams.ts";

const encoder = new TextEncoder();

/**
 * What waits for the handler to catch up (a connection's closing deadlines): told when the
 * handler has taken every stream delivered so far.
 *
 * @example
 * ```ts ignore
 * const waits: CatchUp = { caughtUp: () => closingCaughtUp(parts) };
 * ```
 */
export interface CatchUp {
  /** The handler has read everything that arrived before what waits. */
  caughtUp(): void;
}

/**
 * A compressed message received on a streaming connection: it cannot be streamed before it is
 * inflated, so its pieces are held until it ends.
 *
 * @example
 * ```ts ignore
 * const held = streaming.end();
 * if (held !== undefined) await deflate.inflate(held.text, joinHeld(held));
 * ```
 */
export interface HeldMessage {
  /** Whether it is a Text message. */
  readonly text: boolean;
  /** Its compressed pieces, as they arrived. */
  readonly parts: Uint8Array[];
  /** Their total length. */
  bytes: number;
}

/**
 * Received messages as streams, for one connection opened with `streaming`.
 *
 * The connection hands it the session's `streamStart`, `streamData` and `streamEnd` events and
 * every whole message (an inflated one); the handler takes the streams through
 * {@linkcode MessageStreaming.prototype.iterator}. Asking for the next stream is what the
 * deferral policy waits for, as reading the next whole message is on other connections.
 *
 * @example
 * ```ts ignore
 * const streaming = new MessageStreaming(65_536, 64 * 1024 * 1024, session, frames, parts);
 * streaming.start(true, false, true);
 * streaming.data(new TextEncoder().encode("hi"));
 * streaming.end();
 * const { value } = await streaming.iterator().next();
 * console.log(await new Response(value!.readable).text()); // hi
 * ```
 */
export class MessageStreaming {
  /** The streams, and the demand that paces reading the socket. */
  readonly incoming: IncomingStreams;
  readonly #maxMessageSize: number;
  readonly #session: Session;
  readonly #frames: FrameWriter;
  readonly #closing: CatchUp;
  #held: HeldMessage | undefined;

  /**
   * Creates the instance.
   *
   * @param highWaterMark Unread bytes of the current stream beyond which the socket is not read.
   * @param maxMessageSize The limit of a compressed message, which has to be held whole.
   * @param session Whose queued frames go out when the handler asks for more.
   * @param frames Flushed when the handler asks for more.
   * @param closing What waits for the handler to catch up.
   */
  constructor(
    highWaterMark: number,
    maxMessageSize: number,
    session: Session,
    frames: FrameWriter,
    closing: CatchUp,
  ) {
    this.incoming = new IncomingStreams(highWaterMark);
    this.#maxMessageSize = maxMessageSize;
    this.#session = session;
    this.#frames = frames;
    this.#closing = closing;
  }

  /**
   * Whether the handler has taken every stream delivered so far.
   *
   * @returns `true` when caught up.
   */
  get caughtUp(): boolean {
    return this.incoming.caughtUp;
  }

  /**
   * The handler's iterator of message streams (what `Connection.messageStreams` returns).
   *
   * @returns An async iterable of message streams, done once the connection has ended.
   */
  iterator(): AsyncIterableIterator<IncomingMessageStream> {
    const incoming = this.incoming;
    const iterator: AsyncIterableIterator<IncomingMessageStream> = {
      next: (): Promise<IteratorResult<IncomingMessageStream>> => {
        const next = incoming.next();
        // The handler asks for more: send what it queued, then what waited for it.
        if (this.#session.pendingBytes > 0) this.#frames.flush();
        if (incoming.caughtUp) this.#closing.caughtUp();
        return next;
      },
      return: (): Promise<IteratorResult<IncomingMessageStream>> => Promise.resolve(DONE),
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /**
   * A message starts (`streamStart`): a compressed one is held, any other gets its stream.
   *
   * @param text Whether it is a Text message.
   * @param compressed Whether it is compressed (rfc7692).
   * @param open Whether the connection has not ended: no stream starts after it has.
   */
  start(text: boolean, compressed: boolean, open: boolean): void {
    if (compressed) this.#held = { text, parts: [], bytes: 0 };
    else if (open) this.incoming.start(text);
  }

  /**
   * The next bytes of the current message (`streamData`). A compressed message is held, so it
   * counts against `limits.maxMessageSize`, with deflate's worst-case expansion for
   * incompressible data.
   *
   * @param bytes The bytes.
   * @returns The error to fail the connection with when a held message is over its limit (the
   *   message is dropped), or `undefined`.
   */
  data(bytes: Uint8Array): MessageTooBigError | undefined {
    const held = this.#held;
    if (held === undefined) {
      this.incoming.data(bytes);
      return undefined;
    }
    held.bytes += bytes.length;
    // rfc7692#section-7.2.2: its wire size may exceed the message limit by deflate's worst case.
    const limit = deflateWorstCase(this.#maxMessageSize);
    if (held.bytes > limit) {
      this.#held = undefined;
      return new MessageTooBigError(
        `Cannot hold compressed message: ${held.bytes} bytes so far, limit is ${limit} (rfc6455#section-10.4)`,
      );
    }
    // A copy: `bytes` is a view of the socket's read buffer, which is read into again.
    held.parts.push(bytes.slice());
    return undefined;
  }

  /**
   * The current message is complete (`streamEnd`): its stream closes, or, when it was held, it
   * is handed back to be inflated (and then given to {@linkcode MessageStreaming.prototype.whole}).
   *
   * @returns The held message, or `undefined` when it was streamed.
   */
  end(): HeldMessage | undefined {
    const held = this.#held;
    if (held === undefined) {
      this.incoming.end();
      return undefined;
    }
    this.#held = undefined;
    return held;
  }

  /**
   * A whole message (an inflated one, or one the session reported whole): a stream of one chunk.
   *
   * @param data The message; a string is sent on as its UTF-8.
   */
  whole(data: Message): void {
    if (typeof data === "string") this.incoming.whole(true, encoder.encode(data));
    else this.incoming.whole(false, data);
  }

  /**
   * The connection has ended: see {@linkcode IncomingStreams.prototype.close}.
   *
   * @param error What the stream of an unfinished message fails with.
   */
  close(error: Error): void {
    this.incoming.close(error);
  }
}

/**
 * A held message's bytes in one buffer.
 *
 * @example
 * ```ts ignore
 * const payload = joinHeld({ text: false, parts: [new Uint8Array([1]), new Uint8Array([2])], bytes: 2 });
 * ```
 * @param held The message.
 * @returns Its only piece, or its pieces joined.
 */
export function joinHeld(held: HeldMessage): Uint8Array {
  const parts = held.parts;
  if (parts.length === 1) return parts[0]!;
  const joined = new Uint8Array(held.bytes);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/**
 * The error for reading whole messages (`for await`, `readable`) on a connection that streams
 * them.
 *
 * @example
 * ```ts ignore
 * if (streaming !== undefined) throw streamingOnly();
 * ```
 * @returns The error.
 */
export function streamingOnly(): TypeError {
  return new TypeError(
    "Cannot read whole messages: the connection streams them; use messageStreams()",
  );
}
