/**
 * The client over HTTP/2 (RFC 8441): a `wss:` URL through an extended CONNECT stream on an
 * HTTP/2 connection, which several WebSockets to the same origin share. Opening the stream is
 * the runtime-specific step, so it is a parameter ({@linkcode OpenHttp2Stream}), as
 * `OpenSocket` is for `connectWith`.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441}
 */

import {
  createExtendedConnect,
  ExtendedConnectUnsupportedError,
  validateExtendedConnectResponse,
} from "../protocol/extended_connect.ts";
import { acceptServerResponse, buildClientOffer } from "../protocol/permessage_deflate_client.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import { Connection } from "../streams/connection.ts";
import { type AgreedDeflate, connectionOptionsFrom } from "../streams/connection_setup.ts";
import { noop } from "../streams/noop.ts";
import { startHandshakeAttempt } from "./handshake_attempt.ts";
import {
  type ConnectOptions,
  offeredDeflate,
  type SocketTarget,
  webSocketTarget,
} from "./connect.ts";

/**
 * An extended CONNECT stream a runtime opened, with the server's answer.
 *
 * @example
 * ```ts ignore
 * const opened: OpenedHttp2Stream = { status: 200, headers: new Headers(), stream };
 * ```
 */
export interface OpenedHttp2Stream {
  /** The answer's `:status`. */
  status: number;
  /** The answer's fields. */
  headers: Headers;
  /** The stream's DATA both ways; closing `writable` sends END_STREAM. */
  stream: ByteStream;
}

/**
 * Opens an extended CONNECT stream with `fields` on an HTTP/2 connection to `target` (a new one,
 * or one already open to the same origin), and resolves with the answer, or with `null` when
 * the server's SETTINGS do not enable extended CONNECT (rfc8441#section-3). Node's adapter
 * has one (`node_http2_client.ts`).
 *
 * @example
 * ```ts ignore
 * const opened = await openHttp2Stream({ hostname: "example.com", port: 443, tls: {} }, fields);
 * ```
 */
export type OpenHttp2Stream = (
  target: SocketTarget,
  fields: readonly [string, string][],
) => Promise<OpenedHttp2Stream | null>;

/**
 * Opens a WebSocket connection as an extended CONNECT stream (rfc8441#section-4, 5): checks the
 * server's SETTINGS allow it, sends the request, checks the `:status 200` answer and its
 * selections, and resolves with the open client-side {@linkcode Connection}. An adapter's
 * `connect` does this when `options.http2` is set.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@wsflow/wsflow/node";
 * const ws = await connect("wss://example.com/chat", { http2: true });
 * ```
 * @param open The runtime's HTTP/2 stream opener.
 * @param url The `wss:` URL (`ws:` for HTTP/2 without TLS, which browsers do not speak).
 * @param options As for `connectWith`; `proxy` must not be set.
 * @returns The open connection.
 * @throws {ExtendedConnectUnsupportedError} (rejects) When the server's SETTINGS do not enable
 * extended CONNECT.
 * @throws {HandshakeError} (rejects) When the connection cannot be opened or times out (status
 * 0), or the answer is not a 2xx with valid selections (the server's status and fields).
 * @throws {TypeError} (rejects) When `proxy` is set: HTTP/2 through a proxy is not supported.
 * @throws {unknown} (rejects) The signal's reason, when `signal` aborts first.
 */
export async function connectHttp2With(
  open: OpenHttp2Stream,
  url: string | URL,
  options: ConnectOptions = {},
): Promise<Connection> {
  if (options.proxy !== undefined && options.proxy !== false) {
    throw new TypeError("Cannot connect over HTTP/2 through a proxy: leave out proxy or http2");
  }
  const deflateOptions = offeredDeflate(options);
  const request = createExtendedConnect({
    url,
    protocols: options.protocols,
    headers: options.headers,
    extensions: deflateOptions === undefined ? undefined : buildClientOffer(deflateOptions),
  });
  const { wsUrl, secure, hostname, port, endpoint } = webSocketTarget(url);

  const { signal } = options;
  signal?.throwIfAborted();
  const timeout = options.handshakeTimeout ?? 10_000;
  const attempt = startHandshakeAttempt(
    signal,
    timeout,
    endpoint,
    `Cannot connect to ${endpoint}: no WebSocket stream within ${timeout} ms (rfc8441#section-4)`,
  );
  try {
    let opened: OpenedHttp2Stream | null;
    try {
      opened = await open(
        { hostname, port, tls: secure ? options.tls ?? {} : undefined, signal: attempt.signal },
        request.fields,
      );
    } catch (error) {
      throw attempt.failure(error);
    }
    // rfc8441#section-3: without SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 the client MUST NOT send
    // an extended CONNECT
    if (opened === null) throw new ExtendedConnectUnsupportedError(endpoint);
    const { stream } = opened;
    try {
      const accepted = validateExtendedConnectResponse(opened, request.expected);
      let deflate: AgreedDeflate | undefined;
      // rfc7692#section-7.1: the server accepted the offer; its parameters must fit it
      if (deflateOptions !== undefined && accepted.extensionList.length > 0) {
        deflate = {
          params: acceptServerResponse(accepted.extensionList, deflateOptions),
          threshold: deflateOptions.threshold,
        };
      }
      return new Connection(
        stream,
        connectionOptionsFrom(options, "client", {
          protocol: accepted.protocol,
          extensions: accepted.extensions,
          url: wsUrl,
          rest: new Uint8Array(0),
          deflate,
        }),
      );
    } catch (error) {
      // rfc6455#section-4.1: _Fail the WebSocket Connection_; here, reset the stream only
      stream.readable.cancel().catch(noop);
      stream.writable.abort().catch(noop);
      throw error;
    }
  } finally {
    attempt.finish();
  }
}
