/**
 * The client mode of the `ws`-compatible `WebSocket` (`new WebSocket(url, protocols,
 * options)`): the `ws` client options as wsflow's Node client takes them.
 *
 * @module
 */

import type { Connection } from "../streams/connection.ts";
import { connect } from "./node_client.ts";
import type { ClientOptions } from "./node_ws_options.ts";

/**
 * Connects as `ws`'s client would, over wsflow's Node client: `protocols` as the offer, `headers`
 * and `origin` as handshake header fields, `handshakeTimeout`, `maxPayload` as the message and
 * frame limit, and `perMessageDeflate: false` as no offer.
 *
 * @example
 * ```ts ignore
 * const abort = new AbortController();
 * const connection = await connectClient("ws://127.0.0.1:8080/", "chat", { maxPayload: 1 << 20 }, abort.signal);
 * ```
 * @param address The `ws:` or `wss:` URL.
 * @param protocols Subprotocols to offer.
 * @param options The `ws` client options.
 * @param signal Gives up the attempt (`close()` or `terminate()` before open).
 * @returns The open connection.
 */
export function connectClient(
  address: string | URL,
  protocols: string | readonly string[] | undefined,
  options: ClientOptions,
  signal: AbortSignal,
): Promise<Connection> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.origin !== undefined) headers.origin = options.origin;
  const max = options.maxPayload;
  return connect(address, {
    protocols: protocols === undefined
      ? []
      : typeof protocols === "string"
      ? [protocols]
      : protocols,
    headers,
    signal,
    ...(options.handshakeTimeout === undefined
      ? {}
      : { handshakeTimeout: options.handshakeTimeout }),
    ...(max === undefined ? {} : { limits: { maxMessageSize: max, maxFrameSize: max } }),
    ...(options.perMessageDeflate === false ? { perMessageDeflate: false } : {}),
  });
}
