/**
 * What a connection tells an observer: the numbers behind metrics (messages and their bytes,
 * drops, ping round trips, opens and closes), as plain calls at fixed points of the
 * connection's life. The core stays runtime-free and dependency-free; an observer maps the
 * calls to whatever it likes (`wsflow/otel` maps them to OpenTelemetry instruments).
 *
 * A connection without an observer pays one `if` per point and allocates nothing for it.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import type { NetAddr } from "./byte_stream.ts";

/**
 * What an observer is told about the connection an event belongs to: a `Connection` is one.
 *
 * @example
 * ```ts
 * import type { ObservedConnection } from "@wsflow/wsflow";
 * const seen: ObservedConnection = {
 *   url: new URL("ws://example.com/chat"),
 *   protocol: "",
 *   remoteAddr: undefined,
 * };
 * console.log(seen.url.pathname); // /chat
 * ```
 */
export interface ObservedConnection {
  /** The URL of the opening handshake. */
  readonly url: URL;
  /** The negotiated subprotocol, or `""`. */
  readonly protocol: string;
  /** The peer's address, when the transport has one. */
  readonly remoteAddr: NetAddr | undefined;
}

/**
 * Which end started the end of a connection: the one that sent the first Close frame, failed
 * the connection (a protocol error, a limit, a timeout, `terminate()`), or, for a connection
 * that vanished without a Close frame, the peer of the end that saw it vanish.
 *
 * @example
 * ```ts
 * import type { CloseInitiator } from "@wsflow/wsflow";
 * const initiator: CloseInitiator = "client";
 * console.log(initiator); // client
 * ```
 */
export type CloseInitiator = "client" | "server";

/**
 * Why a message was not sent. `"send_buffer"`: the `"drop"` send-buffer policy (more than the
 * limit was waiting to be written). `"topic_backlog"` is reserved for topics (a subscriber too
 * far behind a topic's publishes); other parts may report their own reasons.
 *
 * @example
 * ```ts
 * import type { SendDropReason } from "@wsflow/wsflow";
 * const reason: SendDropReason = "send_buffer";
 * console.log(reason); // send_buffer
 * ```
 */
export type SendDropReason = "send_buffer" | "topic_backlog" | (string & Record<never, never>);

/**
 * Receives a connection's countable events. Each method takes the connection first, so one
 * observer serves every connection without a closure per connection. Methods are called
 * synchronously on the connection's own path: keep them cheap, and never throw.
 *
 * @example Count messages by hand
 * ```ts
 * import type { ConnectionObserver } from "@wsflow/wsflow";
 * import { connectedPair } from "@wsflow/wsflow/testing";
 *
 * let received = 0;
 * const observer: ConnectionObserver = {
 *   opened() {},
 *   received() {
 *     received++;
 *   },
 *   sent() {},
 *   dropped() {},
 *   roundTrip() {},
 *   closed(_connection, code, initiator) {
 *     console.log(code, initiator); // 1000 client
 *   },
 * };
 * const { server, client } = connectedPair({ server: { observer, heartbeatInterval: 0 } });
 * await client.send("hello");
 * for await (const message of server) break;
 * await client.close(1000);
 * await server.closed;
 * console.log(received); // 1
 * ```
 */
export interface ConnectionObserver {
  /** A connection opened (its handshake is done); `closed` follows exactly once. */
  opened(connection: ObservedConnection): void;
  /**
   * A whole message was received (after inflating) and queued for the handler.
   *
   * @param data The message: its UTF-16 string for text, so a byte count is the observer's to
   *   compute (only when it wants one).
   */
  received(connection: ObservedConnection, data: Message): void;
  /** A whole message was queued for sending (before compressing). */
  sent(connection: ObservedConnection, data: Message): void;
  /** A message was not sent, by policy. */
  dropped(connection: ObservedConnection, reason: SendDropReason): void;
  /** A Pong answered a Ping: a heartbeat's or `ping()`'s. */
  roundTrip(connection: ObservedConnection, milliseconds: number): void;
  /**
   * The connection ended.
   *
   * @param code The close code: the one the initiator sent (1005 for a Close frame without
   *   one), or 1006 when none was exchanged.
   * @param initiator Which end started the end.
   * @param event What `connection.closed` resolves with.
   */
  closed(
    connection: ObservedConnection,
    code: number,
    initiator: CloseInitiator,
    event: CloseEvent,
  ): void;
}
