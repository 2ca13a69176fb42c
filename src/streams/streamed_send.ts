/**
 * The message a connection is sending from a stream, and the order it imposes: its fragments
 * may not be interleaved with another data message's, so every later send waits for its end.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.4}
 */

import { CloseCode } from "../protocol/close_code.ts";
import { WebSocketError } from "../protocol/errors.ts";
import { Opcode } from "../protocol/opcode.ts";
import type { Session } from "../protocol/session.ts";
import type { FrameWriter } from "./frame_writer.ts";
import type { MessageDeflate } from "./message_deflate.ts";
import { noop } from "./noop.ts";
import { type MessageSource, writeMessageStream } from "./outgoing_stream.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * What {@linkcode StreamedSend} asks of the connection that owns it. Each function takes the
 * owner as an argument, so one object serves every connection rather than closures each.
 *
 * @example
 * ```ts ignore
 * const hooks: StreamedSendHooks<Connection> = {
 *   open: (connection) => connection.readyState === "open",
 *   fail: (connection, error) => connection.fail(error),
 * };
 * ```
 */
export interface StreamedSendHooks<Owner> {
  /** Whether the connection is still open: neither closing nor ended. */
  open(owner: Owner): boolean;
  /** Fails the connection now: a streamed message could not be finished. */
  fail(owner: Owner, error: WebSocketError): void;
}

/**
 * The streamed sends of one connection. A connection makes one on its first `sendStream`, so
 * connections that send none carry none.
 *
 * A stream's message starts behind the sends still being compressed and behind the previous
 * stream; {@linkcode StreamedSend.prototype.current} is what other sends wait for meanwhile.
 * A source that fails after a fragment went out leaves a message that cannot be finished: the
 * connection is then failed with 1011.
 *
 * @example
 * ```ts ignore
 * const streamed = new StreamedSend(session, frames, undefined, connection, HOOKS);
 * const done = streamed.send(source, Opcode.Binary);
 * await streamed.current; // what a send made now would wait for
 * ```
 */
export class StreamedSend<Owner> {
  readonly #session: Session;
  readonly #frames: FrameWriter;
  readonly #deflate: MessageDeflate | undefined;
  readonly #owner: Owner;
  readonly #hooks: StreamedSendHooks<Owner>;
  #current: Promise<void> | undefined;

  /**
   * Creates the instance.
   *
   * @param session Where the fragments are queued.
   * @param frames Paces reading the source: the next chunk once the socket takes more.
   * @param deflate The permessage-deflate side, when agreed: a stream waits for its sends.
   * @param owner What the hooks are called with.
   * @param hooks The connection's reactions.
   */
  constructor(
    session: Session,
    frames: FrameWriter,
    deflate: MessageDeflate | undefined,
    owner: Owner,
    hooks: StreamedSendHooks<Owner>,
  ) {
    this.#session = session;
    this.#frames = frames;
    this.#deflate = deflate;
    this.#owner = owner;
    this.#hooks = hooks;
  }

  /**
   * The message being sent from a stream, if one is: settles (never rejects) once it is over.
   *
   * @returns What other sends wait for, or `undefined`.
   */
  get current(): Promise<void> | undefined {
    return this.#current;
  }

  /**
   * Sends one message from `source`, in order behind sends still being compressed and behind
   * the previous stream.
   *
   * @param source The message's chunks.
   * @param opcode `Opcode.Text` (1) or `Opcode.Binary` (2).
   * @returns Resolves once the final fragment is queued and the socket takes more; rejects with
   *   the source's error, or a `TypeError` for another opcode.
   */
  send(source: MessageSource, opcode: typeof Opcode.Text | typeof Opcode.Binary): Promise<void> {
    if (opcode !== Opcode.Text && opcode !== Opcode.Binary) {
      return Promise.reject(new TypeError(`Cannot send a stream: opcode ${opcode} is not 1 or 2`));
    }
    // In order behind sends still being compressed, and behind another stream.
    const previous = this.#current ?? this.#deflate?.outbound ?? RESOLVED;
    const progress = { started: false };
    const task = previous.then(() =>
      writeMessageStream(this.#session, this.#frames, source, opcode, progress)
    ).catch((error: unknown) => {
      if (progress.started && this.#hooks.open(this.#owner)) {
        this.#hooks.fail(
          this.#owner,
          new WebSocketError(
            "Cannot finish a streamed message: its source failed",
            CloseCode.InternalError,
            { cause: error },
          ),
        );
      }
      throw error;
    });
    const tracked = task.then(undefined, noop);
    this.#current = tracked;
    void tracked.then(() => {
      if (this.#current === tracked) this.#current = undefined;
    });
    return task;
  }
}
