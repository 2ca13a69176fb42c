/**
 * Frames built once for many connections (a topic's publishes) on their way into one
 * connection: they never wait, they count against the send buffer, and they are kept out of a
 * message being streamed.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 */

import { PolicyViolationError, type WebSocketError } from "../protocol/errors.ts";
import type { PreparedFrame } from "../protocol/prepared_frame.ts";
import type { Session } from "../protocol/session.ts";
import type { SendDropReason } from "./connection_observer.ts";
import type { FrameWriter } from "./frame_writer.ts";
import type { MessageDeflate } from "./message_deflate.ts";
import { noop } from "./noop.ts";

/**
 * What {@linkcode PreparedSends} asks of the connection that owns it. Each function takes the
 * owner as an argument, so one object serves every connection rather than closures each.
 *
 * @example
 * ```ts ignore
 * const hooks: PreparedSendHooks<Connection> = {
 *   open: (connection) => connection.readyState === "open",
 *   fail: (connection, error) => connection.fail(error),
 *   dropped: (connection, reason) => connection.countDrop(reason),
 * };
 * ```
 */
export interface PreparedSendHooks<Owner> {
  /** Whether the connection is still open: neither closing nor ended. */
  open(owner: Owner): boolean;
  /** Fails the connection now because of a local limit (the send buffer's `"close"` policy). */
  fail(owner: Owner, error: WebSocketError): void;
  /** A frame was not sent, by policy. */
  dropped(owner: Owner, reason: SendDropReason): void;
}

/**
 * The prepared frames of one connection. A connection makes one on its first `sendPrepared`,
 * so connections that get none carry none.
 *
 * - Past the send-buffer limit a frame is dropped (`"topic_backlog"`), or, under the `"close"`
 *   policy, the connection fails with 1008: a publisher never waits for its slowest subscriber.
 *   What counts is what waits to be written, what waits to be compressed, and what waits here.
 * - While a message is being sent from a stream, a frame waits for its last fragment
 *   (rfc6455#section-5.4), counted against the send buffer meanwhile.
 *
 * @example
 * ```ts ignore
 * const prepared = new PreparedSends(session, frames, undefined, 16 * 1024 * 1024, "wait",
 *   connection, HOOKS);
 * prepared.send(PreparedFrame.of("to everyone"), undefined); // "queued"
 * ```
 */
export class PreparedSends<Owner> {
  readonly #session: Session;
  readonly #frames: FrameWriter;
  readonly #deflate: MessageDeflate | undefined;
  readonly #limit: number;
  readonly #evict: boolean;
  readonly #owner: Owner;
  readonly #hooks: PreparedSendHooks<Owner>;
  // Bytes of frames waiting for a streamed message to end.
  #held = 0;

  /**
   * Creates the instance.
   *
   * @param session Where the frames are queued.
   * @param frames Written once the frames of the same turn are queued.
   * @param deflate The permessage-deflate side, when agreed: it compresses the frames it wants.
   * @param limit The send-buffer limit, in bytes.
   * @param policy The send-buffer policy: only `"close"` evicts; the others drop.
   * @param owner What the hooks are called with.
   * @param hooks The connection's reactions.
   */
  constructor(
    session: Session,
    frames: FrameWriter,
    deflate: MessageDeflate | undefined,
    limit: number,
    policy: "wait" | "drop" | "close",
    owner: Owner,
    hooks: PreparedSendHooks<Owner>,
  ) {
    this.#session = session;
    this.#frames = frames;
    this.#deflate = deflate;
    this.#limit = limit;
    this.#evict = policy === "close";
    this.#owner = owner;
    this.#hooks = hooks;
  }

  /**
   * Queues `frame` on an open connection, or drops it, or fails the connection.
   *
   * @param frame The frame; its buffers are shared: never changed.
   * @param sending The message being sent from a stream, if one is: the frame waits for it.
   * @returns `"queued"`, `"dropped"` or `"evicted"`.
   */
  send(frame: PreparedFrame, sending: Promise<void> | undefined): "queued" | "dropped" | "evicted" {
    const deflate = this.#deflate;
    const size = frame.bytes.length + (frame.whole ? 0 : frame.payload.length);
    const buffered = this.#frames.buffered + (deflate?.preparedBytes ?? 0) + this.#held;
    if (buffered > 0 && buffered + size > this.#limit) {
      if (!this.#evict) {
        this.#hooks.dropped(this.#owner, "topic_backlog");
        return "dropped";
      }
      this.#hooks.fail(
        this.#owner,
        new PolicyViolationError(
          `Cannot send: ${buffered} bytes are waiting to be written, limit is ${this.#limit}`,
        ),
      );
      return "evicted";
    }
    if (sending !== undefined) {
      // rfc6455#section-5.4: a streamed message's fragments are not interleaved with another
      // data message, so the frame waits for its end (counted against the send buffer).
      this.#held += size;
      void sending.then(() => {
        this.#held -= size;
        this.#queue(frame);
      });
      return "queued";
    }
    this.#queue(frame);
    return "queued";
  }

  #queue(frame: PreparedFrame): void {
    if (!this.#hooks.open(this.#owner)) return;
    const deflate = this.#deflate;
    if (deflate?.wantsPrepared(frame)) {
      deflate.sendPrepared(frame).then(() => this.#frames.afterPrepared(), noop);
    } else {
      this.#session.sendPrepared(frame);
      this.#frames.afterPrepared();
    }
  }
}
