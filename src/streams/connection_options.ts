/**
 * What a {@linkcode Connection} can be told at construction: role, handshake results, limits,
 * timeouts and buffering.
 *
 * @module
 */

import type { Role } from "../protocol/frame.ts";
import type { Limits, StreamingLimits } from "../protocol/limits.ts";
import type { Message } from "../protocol/message.ts";
import type { Clock } from "./clock.ts";
import type { ConnectionObserver } from "./connection_observer.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import type { ConnectionDeflate } from "./deflate_engine.ts";
import type { MemoryBudget } from "./memory_budget.ts";

/**
 * Options of {@linkcode Connection}.
 *
 * @example
 * ```ts
 * import type { ConnectionOptions } from "@wsflow/wsflow";
 * const options: ConnectionOptions = { role: "server", heartbeatInterval: 0, idleTimeout: 60_000 };
 * console.log(options.role); // server
 * ```
 */
export interface ConnectionOptions {
  /** Which end this endpoint is. */
  role: Role;
  /**
   * Frame, message and fragment-count limits.
   * @default {DEFAULT_LIMITS}
   */
  limits?: Partial<Limits>;
  /**
   * The negotiated subprotocol.
   * @default {""}
   */
  protocol?: string;
  /**
   * The negotiated extensions, as sent in Sec-WebSocket-Extensions.
   * @default {""}
   */
  extensions?: string;
  /** The URL the connection was opened for (path and query). */
  url?: URL;
  /**
   * The opening handshake's request headers.
   * @default {new Headers()}
   */
  headers?: Headers;
  /**
   * Bytes that arrived with the opening handshake, after its head: the first frames.
   * @default {undefined}
   */
  head?: Uint8Array;
  /**
   * Milliseconds to wait for the peer's part of the closing handshake (its Close frame, and,
   * for a client, the server's TCP close) before dropping the connection with 1006.
   *
   * Each wait of the closing phase has its own deadline of this length: the peer's answer to
   * our Close, the closing of the transport, and how long a received Close or a protocol error
   * may wait for the handler to read the messages that arrived before it.
   * @default {10_000}
   */
  closeTimeout?: number;
  /**
   * Milliseconds between heartbeat pings; when nothing at all (not even the pong) arrives
   * between two of them, the connection is dropped and `closed` reports a `TimeoutError` with
   * `timeout: "heartbeat"`. 30 s keeps proxies that cut idle connections after about 60 s
   * from doing so, and finds dead peers within a minute. 0 turns it off.
   * @default {30_000}
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds without any data from the peer after which the connection is closed with 1001
   * (`closed` reports a `TimeoutError` with `timeout: "idle"`). Pongs to heartbeat pings count
   * as data, so with the heartbeat on only dead peers go idle. 0 turns it off.
   * @default {0}
   */
  idleTimeout?: number;
  /**
   * permessage-deflate, when negotiated (rfc7692): the compressor and decompressor of this
   * connection, and the size below which messages are sent uncompressed.
   * @default {undefined}
   */
  deflate?: ConnectionDeflate;
  /**
   * What `send` does when more than `limit` bytes are already waiting to be written (not yet
   * taken by the socket): `"wait"` (the promise waits until they are written; the message is
   * kept meanwhile), `"drop"` (the message is dropped and counted in `droppedMessages`) or
   * `"close"` (the connection is closed with 1008). A message is always accepted when nothing
   * is waiting, however large.
   * @default {{ limit: 16_777_216, policy: "wait" }}
   */
  sendBuffer?: SendBufferOptions;
  /**
   * The budget that bytes held in messages not yet fully received count against; a connection
   * that would overdraw it is closed with 1013.
   * @default {PARTIAL_MESSAGE_BUDGET}
   */
  partialMessageBudget?: MemoryBudget;
  /**
   * Bytes of received messages the handler has not read yet beyond which the socket is no
   * longer read (so a slow consumer slows the peer down through TCP).
   * @default {65_536}
   */
  readHighWaterMark?: number;
  /**
   * Bytes of encoded frames not yet handed to the socket beyond which they are handed over
   * at once rather than batched.
   * @default {65_536}
   */
  writeHighWaterMark?: number;
  /**
   * Receive every message as a stream (`Connection.messageStreams()`) rather than whole: its
   * bytes are handed on as they arrive and nothing of it is held, so messages may be far larger
   * than memory. `true` takes {@linkcode DEFAULT_STREAMING_LIMITS}; an object sets the streamed
   * messages' own limits (total bytes, frame size, fragment count), which replace those three
   * of `limits`. permessage-deflate compressed messages are still held whole (up to
   * `limits.maxMessageSize`, inflated) before they are streamed; `Connection.sendStream` sends
   * uncompressed.
   * @default {false}
   */
  streaming?: boolean | Partial<StreamingLimits>;
  /**
   * Where the connection's time comes from: every timer (heartbeat, idle, the closing
   * deadlines) and the round-trip time of `ping`. A test passes a fake clock to move time on
   * without waiting.
   * @default {REAL_CLOCK}
   */
  clock?: Clock;
  /**
   * Told about messages, drops, ping round trips, the opening and the end of the connection,
   * for metrics (`wsflow/otel` maps them to OpenTelemetry instruments). Without one, nothing
   * is counted and nothing is allocated for it.
   * @default {undefined}
   */
  observer?: ConnectionObserver | undefined;
}

/**
 * The send-buffer limit and what happens past it; see {@linkcode ConnectionOptions.sendBuffer}.
 *
 * @example
 * ```ts
 * import type { SendBufferOptions } from "@wsflow/wsflow";
 * const options: SendBufferOptions = { limit: 1 << 20, policy: "drop" };
 * console.log(options.policy); // drop
 * ```
 */
export interface SendBufferOptions {
  /**
   * Bytes waiting to be written beyond which the policy applies.
   * @default {16_777_216}
   */
  limit?: number;
  /**
   * `"wait"`, `"drop"` or `"close"` (1008).
   * @default {"wait"}
   */
  policy?: "wait" | "drop" | "close";
}

/**
 * A request's header lines, name and value each, in the order they came.
 *
 * @example
 * ```ts
 * import type { HeaderFields } from "./connection_options.ts";
 * const fields: HeaderFields = [["Host", "example.com"], ["Upgrade", "websocket"]];
 * console.log(fields.length); // 2
 * ```
 */
export type HeaderFields = readonly (readonly [name: string, value: string])[];

/**
 * Told once a connection has closed, when its `closed` settles, without that promise being
 * made: what a server's bookkeeping of its connections listens with.
 *
 * @example
 * ```ts
 * import type { ClosedListener } from "./connection_options.ts";
 * const listener: ClosedListener = {
 *   connectionClosed: (event) => console.log("closed with", event.code),
 * };
 * listener.connectionClosed({ code: 1000, reason: "", wasClean: true }); // closed with 1000
 * ```
 */
export interface ClosedListener {
  /** The connection has closed, with `event` (as `closed` settles). */
  connectionClosed(event: CloseEvent): void;
}

/**
 * Told of each message a connection receives, in place of its readers: what a server route's
 * message hooks are served through. One message at a time: a thenable that
 * {@linkcode MessageListener.prototype.messageArrived} returns holds the next message back
 * until it settles, and meanwhile what arrives waits in the connection's inbound queue, which
 * paces reading the socket as unread messages do.
 *
 * @example
 * ```ts
 * import type { MessageListener } from "./connection_options.ts";
 * const listener: MessageListener = {
 *   messageArrived: (message) => console.log("got", message),
 *   messageFailed: (error) => console.error(error),
 *   messagesEnded: (event) => console.log("ended with", event.code),
 * };
 * listener.messageArrived("hello"); // got hello
 * ```
 */
export interface MessageListener {
  /**
   * A message arrived.
   *
   * @param message The message: `string` for text, `Uint8Array` for binary.
   * @returns Anything; a thenable holds the next message back until it settles.
   */
  messageArrived(message: Message): unknown;
  /**
   * `messageArrived` threw, or the thenable it returned was rejected.
   *
   * @param error What it threw or was rejected with.
   */
  messageFailed(error: unknown): void;
  /**
   * The connection has ended and every message it received has been handed over and dealt
   * with: called once, last.
   *
   * @param event How the connection ended.
   */
  messagesEnded(event: CloseEvent): void;
}

/**
 * {@linkcode ConnectionOptions} and what the server and client that build a connection may add:
 * the handshake's URL and header lines in the form they arrived in, made into a `URL` and a
 * `Headers` only if `url` or `headers` is read, and a listener told when the connection has
 * closed. Not in the public API: an idle connection's cost, not a caller's choice.
 *
 * @example
 * ```ts
 * import type { ConnectionWiring } from "./connection_options.ts";
 * const wiring: ConnectionWiring = {
 *   role: "server",
 *   href: "ws://example.com/chat",
 *   headerFields: [["Host", "example.com"]],
 * };
 * console.log(wiring.href); // ws://example.com/chat
 * ```
 */
export interface ConnectionWiring extends ConnectionOptions {
  /**
   * The connection's URL as a string, when `url` is not given.
   * @default {"ws://localhost/"}
   */
  href?: string;
  /**
   * The request's header lines, when `headers` is not given: as lines, or as one string of
   * `Name: value\r\n` lines (as they arrived).
   * @default {[]}
   */
  headerFields?: HeaderFields | string;
  /**
   * Told once the connection has closed.
   * @default {undefined}
   */
  closedListener?: ClosedListener;
  /**
   * Told of each message in place of the connection's readers: `for await`, `readable` and
   * `messageStreams()` are then refused. Messages are handed over from the first microtask
   * after the connection is made, so that whoever made it has it by then.
   * @default {undefined}
   */
  messageListener?: MessageListener;
}
