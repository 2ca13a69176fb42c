/**
 * The waits of a connection's closing phase, each bounded by the close timeout: a protocol
 * failure and the reply to the peer's Close, which wait for the handler to read what arrived
 * before them, and the peer's answer to our own Close.
 *
 * The connection decides what waits (see its dispatch); this part holds what is waiting, its
 * timers, and how each is finally carried out.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.7}
 */

import { TimeoutError, type WebSocketError } from "../protocol/errors.ts";
import type { Session } from "../protocol/session.ts";
import type { SessionEvent } from "../protocol/session_events.ts";
import type { Clock } from "./clock.ts";
import type { FrameWriter } from "./frame_writer.ts";
import type { MessageDeflate } from "./message_deflate.ts";

/**
 * What {@linkcode ClosingDeadlines} hands back to the connection that owns it. Each function
 * takes the owner as an argument, so one object serves every connection rather than closures
 * each.
 *
 * @example
 * ```ts ignore
 * const hooks: ClosingHooks<Connection> = {
 *   events: (connection, events) => connection.handle(events),
 *   timedOut: (connection, error) => connection.terminate(),
 * };
 * ```
 */
export interface ClosingHooks<Owner> {
  /** Handles the session events that failing, or replying to a Close, produced. */
  events(owner: Owner, events: readonly SessionEvent[]): void;
  /** The peer did not answer our Close within the close timeout (`error.timeout` is `"close"`). */
  timedOut(owner: Owner, error: TimeoutError): void;
}

/**
 * The deferred failure, the deferred Close reply and the closing-handshake deadline of one
 * connection.
 *
 * - A failure (rfc6455#section-7.1.7) or the reply to the peer's Close (rfc6455#section-5.5.1)
 *   waits until {@linkcode ClosingDeadlines.prototype.caughtUp} (the handler has read what came
 *   before it) or the close timeout, whichever is first. Either waits behind sends still being
 *   compressed, so answers the handler gave go out before the Close.
 * - After our Close, the peer has the close timeout to answer it (rfc6455#section-7.1.1).
 *
 * @example
 * ```ts ignore
 * const closing = new ClosingDeadlines(REAL_CLOCK, 10_000, session, frames, undefined,
 *   connection, HOOKS);
 * closing.deferFailure(new ProtocolError("Cannot accept frame: reserved bit set"), false);
 * closing.caughtUp(); // the handler read everything: the Close frame goes out now
 * closing.cancel(); // when the connection ends
 * ```
 */
export class ClosingDeadlines<Owner> {
  readonly #clock: Clock;
  readonly #timeout: number;
  readonly #session: Session;
  readonly #frames: FrameWriter;
  readonly #deflate: MessageDeflate | undefined;
  readonly #owner: Owner;
  readonly #hooks: ClosingHooks<Owner>;
  #failure: WebSocketError | undefined;
  #failureDeadline: unknown;
  #replyDue = false;
  #replyDeadline: unknown;
  #handshakeDeadline: unknown;

  /**
   * Creates the instance; nothing waits yet.
   *
   * @param clock Where the deadlines are measured.
   * @param timeout The close timeout, in milliseconds: the bound of each wait.
   * @param session Fails, and replies to the peer's Close.
   * @param frames Flushed before the Close frame, so earlier answers go first.
   * @param deflate The permessage-deflate side, when agreed: its pending sends go first.
   * @param owner What the hooks are called with.
   * @param hooks The connection's reactions.
   */
  constructor(
    clock: Clock,
    timeout: number,
    session: Session,
    frames: FrameWriter,
    deflate: MessageDeflate | undefined,
    owner: Owner,
    hooks: ClosingHooks<Owner>,
  ) {
    this.#clock = clock;
    this.#timeout = timeout;
    this.#session = session;
    this.#frames = frames;
    this.#deflate = deflate;
    this.#owner = owner;
    this.#hooks = hooks;
  }

  /**
   * Whether the peer's Close waits for our reply.
   *
   * @returns `true` while the reply is deferred.
   */
  get replyDue(): boolean {
    return this.#replyDue;
  }

  /**
   * Fails the connection with `error`, now or once the handler has caught up.
   *
   * @param error The failure; its code goes in the Close frame.
   * @param now Whether nothing waits to be read, so the failure need not wait.
   */
  deferFailure(error: WebSocketError, now: boolean): void {
    this.#failure = error;
    if (now) this.#applyFailure();
    else this.#failureDeadline = this.#clock.setTimeout(() => this.#applyFailure(), this.#timeout);
  }

  /**
   * Replies to the peer's Close, now or once the handler has caught up.
   *
   * @param now Whether nothing waits to be read, so the reply need not wait.
   */
  deferCloseReply(now: boolean): void {
    this.#replyDue = true;
    if (now) this.applyCloseReply();
    else this.#replyDeadline = this.#clock.setTimeout(() => this.applyCloseReply(), this.#timeout);
  }

  /** The handler has read everything that arrived: what waited for it goes out now. */
  caughtUp(): void {
    if (this.#failure !== undefined) this.#applyFailure();
    if (this.#replyDue) this.applyCloseReply();
  }

  /** Replies to the peer's Close now, if it waits for a reply. */
  applyCloseReply(): void {
    if (!this.#replyDue) return;
    this.#replyDue = false;
    if (this.#replyDeadline !== undefined) {
      this.#clock.clearTimeout(this.#replyDeadline);
      this.#replyDeadline = undefined;
    }
    const outbound = this.#deflate?.outbound;
    if (outbound !== undefined) {
      // Replies still being compressed go first.
      void outbound.then(() => this.#hooks.events(this.#owner, this.#session.replyToClose()));
      return;
    }
    this.#frames.flush();
    this.#hooks.events(this.#owner, this.#session.replyToClose());
  }

  /** Our Close was sent: starts the peer's time to answer it. */
  awaitAnswer(): void {
    this.#handshakeDeadline = this.#clock.setTimeout(() => {
      this.#handshakeDeadline = undefined;
      // rfc6455#section-7.1.1: the peer did not complete the closing handshake in time
      this.#hooks.timedOut(
        this.#owner,
        new TimeoutError(
          "close",
          `Cannot close cleanly: the peer did not answer the Close frame within ${this.#timeout} ms`,
        ),
      );
    }, this.#timeout);
  }

  /** The connection has ended: nothing waits any more. */
  cancel(): void {
    const clock = this.#clock;
    if (this.#handshakeDeadline !== undefined) clock.clearTimeout(this.#handshakeDeadline);
    if (this.#failureDeadline !== undefined) clock.clearTimeout(this.#failureDeadline);
    if (this.#replyDeadline !== undefined) clock.clearTimeout(this.#replyDeadline);
    this.#failure = undefined;
    this.#replyDue = false;
  }

  #applyFailure(): void {
    const error = this.#failure;
    if (error === undefined) return;
    const outbound = this.#deflate?.outbound;
    if (outbound !== undefined) {
      // Answers still being compressed go out before the Close.
      void outbound.then(() => this.#applyFailure());
      return;
    }
    this.#failure = undefined;
    if (this.#failureDeadline !== undefined) {
      this.#clock.clearTimeout(this.#failureDeadline);
      this.#failureDeadline = undefined;
    }
    this.#frames.flush();
    this.#hooks.events(this.#owner, this.#session.fail(error));
  }
}
