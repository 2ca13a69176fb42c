/**
 * The `ConnectionOptions` of a connection the server has accepted: what its handshake decided
 * and what of the server's options a connection takes. The one place the server builds them,
 * so a builder shared with the client can replace it.
 *
 * @module
 */

import type { ConnectionOptions } from "../streams/connection_options.ts";
import type { ConnectionDeflate } from "../streams/deflate_engine.ts";
import type { ServeOptions } from "./options.ts";

/**
 * What an accepted opening handshake decided for its connection.
 *
 * @example
 * ```ts ignore
 * const accepted: AcceptedHandshake = {
 *   protocol: "chat", extensions: "", deflate: undefined,
 *   url: new URL("ws://localhost/chat"), headers: new Headers(), rest: new Uint8Array(0),
 * };
 * ```
 */
export interface AcceptedHandshake {
  /** The selected subprotocol, or `""`. */
  readonly protocol: string;
  /** The `Sec-WebSocket-Extensions` value of the 101, or `""`. */
  readonly extensions: string;
  /** The negotiated permessage-deflate engines, if any. */
  readonly deflate: ConnectionDeflate | undefined;
  /** The URL the connection was opened for (`ws:` or `wss:`). */
  readonly url: URL;
  /** The handshake's request header fields. */
  readonly headers: Headers;
  /** Bytes that followed the request head: the client's first frames. */
  readonly rest: Uint8Array | undefined;
}

/**
 * Builds the options of a server-side `Connection`: the handshake's results, and the server's
 * limits, timeouts, send buffer and partial-message budget (those left out keep
 * `Connection`'s defaults).
 *
 * @example
 * ```ts ignore
 * const connection = new Connection(stream, serverConnectionOptions(options, accepted));
 * ```
 * @param options The server's options.
 * @param accepted What the handshake decided.
 * @returns The connection's options.
 */
export function serverConnectionOptions(
  options: ServeOptions,
  accepted: AcceptedHandshake,
): ConnectionOptions {
  return {
    role: "server",
    protocol: accepted.protocol,
    ...(accepted.deflate === undefined
      ? {}
      : { deflate: accepted.deflate, extensions: accepted.extensions }),
    url: accepted.url,
    headers: accepted.headers,
    ...(accepted.rest === undefined ? {} : { head: accepted.rest }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.closeTimeout === undefined ? {} : { closeTimeout: options.closeTimeout }),
    ...(options.heartbeatInterval === undefined
      ? {}
      : { heartbeatInterval: options.heartbeatInterval }),
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
    ...(options.sendBuffer === undefined ? {} : { sendBuffer: options.sendBuffer }),
    ...(options.partialMessageBudget === undefined
      ? {}
      : { partialMessageBudget: options.partialMessageBudget }),
  };
}
