/**
 * A connection the server serves with a route's {@linkcode MessageHooks}: `open`, then
 * `message` for each message as the connection's {@linkcode MessageListener}, then `close`
 * once the last message has been dealt with. The hooks are one object for all the route's
 * connections, and what this record adds to a served connection is three fields (the hooks,
 * the upgrade hook's `data`, and a state): an idle connection holds no function, promise or
 * suspended call of its own, and of the handshake only `data`.
 *
 * @module
 */

import type { MessageHooks, RouteContext } from "../router/handler.ts";
import type { Message } from "../protocol/message.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import type { ConnectionWiring, MessageListener } from "../streams/connection_options.ts";
import { isThenable } from "../streams/thenable.ts";
import { ServedConnection, type StreamDone } from "./served_connection.ts";
import type { ServerContext } from "./server_context.ts";

/**
 * One connection served by hooks. `message` waits for a promise `open` returned; a hook that
 * throws or rejects fails the connection with 1011 (as a handler that does) and no message is
 * handed over after it; `close` comes last, once.
 *
 * @example
 * ```ts ignore
 * new HookedConnection(server, done, hooks).open(stream, connectionOptions, context);
 * ```
 */
export class HookedConnection extends ServedConnection implements MessageListener {
  readonly #hooks: MessageHooks<Record<string, string>, unknown>;
  #data: unknown;
  // A promise while `open` runs; `true` once a hook has failed; `undefined` otherwise.
  #state: Promise<unknown> | true | undefined;

  /**
   * Creates the record; {@linkcode HookedConnection.prototype.open} opens the connection.
   *
   * @param server The server the connection came to.
   * @param done Told once the connection has closed and the hooks have returned.
   * @param hooks The route's hooks.
   */
  constructor(
    server: ServerContext,
    done: StreamDone,
    hooks: MessageHooks<Record<string, string>, unknown>,
  ) {
    super(server, done);
    this.#hooks = hooks;
  }

  /**
   * Opens the connection on `stream` (its 101 is on its way) with this as its message listener,
   * and calls `open`. The stream is not done before `close` has returned.
   *
   * @param stream The byte stream after the handshake.
   * @param options The connection's options; its listeners are set to this.
   * @param context What the handshake decided: `open` is told it, the other hooks its `data`.
   */
  open(
    stream: ByteStream,
    options: ConnectionWiring,
    context: RouteContext<Record<string, string>, unknown>,
  ): void {
    this.#data = context.data;
    options.messageListener = this;
    const connection = this.openConnection(stream, options);
    // Until `close` has returned.
    this.handlerRunning = true;
    const open = this.#hooks.open;
    if (open === undefined) return;
    let opening: unknown;
    try {
      opening = open.call(this.#hooks, connection, context);
    } catch (error) {
      this.messageFailed(error);
      return;
    }
    if (isThenable(opening)) {
      this.#state = Promise.resolve(opening).then(
        () => {
          if (this.#state !== true) this.#state = undefined;
        },
        (error: unknown) => this.messageFailed(error),
      );
    }
  }

  /**
   * A message arrived: for `message`, once `open` has settled.
   *
   * @param message The message.
   * @returns What `message` returned, or a promise that settles once it has been called.
   */
  messageArrived(message: Message): unknown {
    const state = this.#state;
    if (state === true) return undefined;
    if (state !== undefined) return state.then(() => this.messageArrived(message));
    return this.#hooks.message(this.connection!, message, this.#data);
  }

  /**
   * A hook threw or rejected: the connection fails with 1011, once, and gets no more messages.
   *
   * @param error What it threw.
   */
  messageFailed(error: unknown): void {
    if (this.#state === true) return;
    this.#state = true;
    this.handlerFailed(error);
  }

  /**
   * The connection has ended and its last message has been dealt with: `close`, once `open`
   * has settled.
   *
   * @param event How it ended.
   */
  messagesEnded(event: CloseEvent): void {
    const state = this.#state;
    // After `open` has settled, even when the connection ended while it ran.
    if (state instanceof Promise) {
      state.then(() => this.messagesEnded(event));
      return;
    }
    const close = this.#hooks.close;
    let closing: unknown;
    if (close !== undefined) {
      try {
        closing = close.call(this.#hooks, this.connection!, event, this.#data);
      } catch (error) {
        closing = Promise.reject(error);
      }
    }
    // Watched as a handler's promise is: the stream is done once it settles.
    if (isThenable(closing)) this.watch(closing);
    else this.handlerReturned();
  }
}
