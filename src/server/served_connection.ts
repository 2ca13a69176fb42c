/**
 * What the server keeps of a connection it opened, from its 101 to its end: the handler's run
 * and the bookkeeping once the connection has closed, without a suspended async function or a
 * promise of its own waiting for all of a connection's life.
 *
 * Each suspended `async` function holds a promise and a generator, and a chain of them
 * (serving a stream, its head, its upgrade, the handler's end) held one of each per idle
 * connection. Instead, the handshake's functions return once the 101 is written, and this
 * object is told when the handler has returned and when the connection has closed (as its
 * `ClosedListener`); once both have happened, the stream's {@linkcode StreamDone} is told.
 *
 * @module
 */

import type { Handler, RouteContext } from "../router/handler.ts";
import type { ByteStream, NetAddr } from "../streams/byte_stream.ts";
import { Connection } from "../streams/connection.ts";
import type { ClosedListener, ConnectionWiring } from "../streams/connection_options.ts";
import { isThenable } from "../streams/thenable.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import { reportError, type ServerContext } from "./server_context.ts";
import { handlerFailed } from "./server_observer.ts";

/**
 * Told once a stream the server took is done with: refused, or its connection has closed and
 * its handler has returned. A server that counts its sockets (`Admission`) is one, for all of
 * them: nothing is made per stream.
 *
 * @example
 * ```ts
 * import type { StreamDone } from "./served_connection.ts";
 * const done: StreamDone = {
 *   streamDone: (remoteAddr) => console.log("done with", remoteAddr?.hostname),
 * };
 * done.streamDone({ hostname: "127.0.0.1", port: 50000 }); // done with 127.0.0.1
 * ```
 */
export interface StreamDone {
  /** The stream from `remoteAddr` is done with. Called once per stream. */
  streamDone(remoteAddr: NetAddr | undefined): void;
}

/**
 * The {@linkcode StreamDone} of a stream nobody waits for (node:http's upgrade event).
 *
 * @example
 * ```ts ignore
 * void serveRequestHead(head, stream, server, UNWATCHED);
 * ```
 */
export const UNWATCHED: StreamDone = Object.freeze({ streamDone(): void {} });

/**
 * A promise that settles once `serve` tells its {@linkcode StreamDone} that the stream is done
 * with: for the callers that wait for that (`handleStream`, `acceptUpgrade`).
 *
 * @example
 * ```ts ignore
 * await untilDone((done) => serveStream(stream, server, done));
 * ```
 * @param serve Serves the stream, and tells `done` once it is done with.
 * @returns Settles then; never rejects.
 */
export function untilDone(serve: (done: StreamDone) => unknown): Promise<void> {
  return new Promise((resolve) => {
    serve({ streamDone: () => resolve() });
  });
}

/**
 * One connection the server opened: calls the route's handler with it, reports the handler's
 * failure (closing the connection with 1011), keeps it in the server's open connections while
 * it is open, and tells the stream's {@linkcode StreamDone} once the connection has closed
 * and the handler has returned.
 *
 * @example
 * ```ts ignore
 * new ServedConnection(server, done).run(stream, connectionOptions, handler, context);
 * ```
 */
export class ServedConnection implements ClosedListener {
  readonly #server: ServerContext;
  readonly #done: StreamDone;
  /** The connection, once open. */
  protected connection: Connection | undefined;
  /** Whether the handler (or a hook) has not returned yet. */
  protected handlerRunning = false;
  #closed = false;

  /**
   * Creates the record; {@linkcode ServedConnection.prototype.run} opens the connection.
   *
   * @param server The server the connection came to.
   * @param done Told once the connection has closed and the handler has returned.
   */
  constructor(server: ServerContext, done: StreamDone) {
    this.#server = server;
    this.#done = done;
  }

  /**
   * Opens the connection on `stream` (its 101 is on its way) and runs the handler on it.
   *
   * @param stream The byte stream after the handshake.
   * @param options The connection's options; its `closedListener` is set to this.
   * @param handler The route's handler.
   * @param context The handler's context.
   */
  run(
    stream: ByteStream,
    options: ConnectionWiring,
    handler: Handler<Record<string, string>, unknown>,
    context: RouteContext<Record<string, string>, unknown>,
  ): void {
    const connection = this.openConnection(stream, options);
    let running: unknown;
    try {
      running = handler(connection, context);
    } catch (error) {
      running = Promise.reject(error);
    }
    this.watch(running);
  }

  /**
   * Makes the connection and counts it among the server's open ones.
   *
   * @param stream The byte stream after the handshake.
   * @param options The connection's options; its `closedListener` is set to this.
   * @returns The connection.
   */
  protected openConnection(stream: ByteStream, options: ConnectionWiring): Connection {
    options.closedListener = this;
    const connection = this.connection = new Connection(stream, options);
    this.#server.admission?.connections.add(connection);
    return connection;
  }

  /**
   * Watches what the handler (or a hook) returned: a promise keeps the stream from being done
   * until it settles, and its rejection fails the connection.
   *
   * @param running What it returned.
   */
  protected watch(running: unknown): void {
    // Nothing of the server waits on a handler that returned at once.
    if (!isThenable(running)) return;
    this.handlerRunning = true;
    // Two bound methods for as long as the handler runs (less than an awaiting async function
    // held, or two arrow functions and their context).
    Promise.resolve(running).then(this.handlerReturned.bind(this), this.#handlerThrew.bind(this));
  }

  /**
   * The connection has closed (as its `ClosedListener`).
   *
   * @param _event How it ended.
   */
  connectionClosed(_event?: CloseEvent): void {
    this.#closed = true;
    const connection = this.connection!;
    this.#server.admission?.connections.delete(connection);
    if (!this.handlerRunning) this.#done.streamDone(connection.remoteAddr);
  }

  /** The handler (or the last hook) has returned: the stream is done if it has closed too. */
  protected handlerReturned(): void {
    this.handlerRunning = false;
    if (this.#closed) this.#done.streamDone(this.connection!.remoteAddr);
  }

  #handlerThrew(error: unknown): void {
    this.handlerFailed(error);
    this.handlerReturned();
  }

  /**
   * The handler (or a hook) threw: reported, and the connection closed with 1011.
   *
   * @param error What it threw.
   */
  protected handlerFailed(error: unknown): void {
    const connection = this.connection!;
    reportError(this.#server, error, "handler", connection.remoteAddr);
    handlerFailed(error, connection.url, connection.remoteAddr);
    // rfc6455#section-7.4.1: 1011, the server met an unexpected condition
    connection.close(1011).catch(() => {});
  }
}
