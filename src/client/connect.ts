/**
 * The client's composition root: a `ws:` or `wss:` URL through a transport's socket and the
 * opening handshake to a {@linkcode Connection}.
 *
 * Opening the socket is the one runtime-specific step, so it is a parameter: each adapter's
 * `connect` is {@linkcode connectWith} over its own {@linkcode OpenSocket}.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.1}
 */

import { createClientHandshake, validateUpgradeResponse } from "../protocol/client_handshake.ts";
import type { Limits, StreamingLimits } from "../protocol/limits.ts";
import type { PerMessageDeflateOptions } from "../protocol/permessage_deflate.ts";
import { acceptServerResponse, buildClientOffer } from "../protocol/permessage_deflate_client.ts";
import { parseWebSocketUrl } from "../protocol/websocket_url.ts";
import type { ByteStream } from "../streams/byte_stream.ts";
import { Connection } from "../streams/connection.ts";
import type { ConnectionObserver } from "../streams/connection_observer.ts";
import type { ConnectionOptions, SendBufferOptions } from "../streams/connection_options.ts";
import { type AgreedDeflate, connectionOptionsFrom } from "../streams/connection_setup.ts";
import type { DeflateEngine } from "../streams/deflate_engine.ts";
import { noop } from "../streams/noop.ts";
import {
  parseProxyUrl,
  type ProxyEnv,
  ProxyError,
  proxyFromEnv,
  redactProxyUrl,
  type SocketProxy,
  socketProxy,
} from "./proxy.ts";
import { startHandshakeAttempt } from "./handshake_attempt.ts";
import { readerOf, writerOf } from "../streams/socket_channel.ts";
import { readResponse } from "./read_response.ts";

/**
 * How a client checks the server's certificate on `wss://`.
 *
 * @example
 * ```ts
 * import type { ClientTlsOptions } from "@wsflow/wsflow";
 * const tls: ClientTlsOptions = { ca: "-----BEGIN CERTIFICATE-----\n…", serverName: "localhost" };
 * console.log(tls.serverName); // "localhost"
 * ```
 */
export interface ClientTlsOptions {
  /**
   * CA certificates to trust, PEM text. On Node and Bun they replace the default roots; on
   * Deno they are trusted besides them. Without them every adapter trusts what the runtime's
   * standard settings add: `NODE_EXTRA_CA_CERTS` on Node and Bun, `DENO_CERT` or `--cert` on
   * Deno.
   * @default {undefined}
   */
  ca?: string | readonly string[] | undefined;
  /**
   * The name to send as SNI and to check the certificate against.
   * @default {undefined} (the URL's host)
   */
  serverName?: string | undefined;
}

/**
 * Where an {@linkcode OpenSocket} connects to.
 *
 * @example
 * ```ts
 * import type { SocketTarget } from "@wsflow/wsflow";
 * const target: SocketTarget = { hostname: "::1", port: 8443, tls: {} };
 * console.log(target.hostname); // "::1", without the URL's brackets
 * ```
 */
export interface SocketTarget {
  /** Host name or IP address; an IPv6 address without brackets. */
  hostname: string;
  /** TCP port. */
  port: number;
  /**
   * Present for TLS (`wss:`), absent for plain TCP (`ws:`).
   * @default {undefined}
   */
  tls?: ClientTlsOptions | undefined;
  /**
   * Aborts opening; the opener then closes whatever it opened.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * An HTTP proxy to go through: the opener connects to it, opens the tunnel with
   * `proxy.open`, then (for `tls`) starts TLS with `hostname` over the tunnel.
   * @default {undefined} (direct)
   */
  proxy?: SocketProxy | undefined;
}

/**
 * Opens a byte stream to a server: a runtime's TCP or TLS connect. Each adapter exports one
 * as `openSocket`.
 *
 * @example An opener over an in-memory transport
 * ```ts
 * import { connectWith, handleStream, type OpenSocket } from "@wsflow/wsflow";
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 *
 * const openSocket: OpenSocket = ({ hostname, port }) => {
 *   console.log("dialling", hostname, port); // dialling example.com 80
 *   const [serverEnd, clientEnd] = byteStreamPair();
 *   void handleStream(serverEnd, (ws) => ws.close(1000, "bye"));
 *   return Promise.resolve(clientEnd);
 * };
 * const ws = await connectWith(openSocket, "ws://example.com/");
 * console.log((await ws.closed).reason); // bye
 * ```
 */
export type OpenSocket = (target: SocketTarget) => Promise<ByteStream>;

/**
 * Options of {@linkcode connectWith} and the adapters' `connect`.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "@wsflow/wsflow";
 * const options: ConnectOptions = {
 *   protocols: ["chat.v2", "chat"],
 *   headers: { authorization: "Bearer abc" },
 *   signal: AbortSignal.timeout(5_000),
 * };
 * console.log(options.protocols); // ["chat.v2", "chat"]
 * ```
 */
export interface ConnectOptions {
  /**
   * Subprotocols to offer, in order of preference (rfc6455#section-4.1).
   * @default {[]}
   */
  protocols?: readonly string[] | undefined;
  /**
   * Further request header fields, such as `Origin`, `Cookie` or `Authorization`.
   * @default {undefined}
   */
  headers?: HeadersInit | undefined;
  /**
   * Aborting it before the connection opens rejects with the signal's reason and closes the
   * socket. Once the connection is open it has no effect.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * Milliseconds for opening the socket and completing the opening handshake; then the attempt
   * fails with a `HandshakeError` of status 0.
   * @default {10_000}
   */
  handshakeTimeout?: number | undefined;
  /**
   * Certificate checks for `wss:` URLs; ignored for `ws:`.
   * @default {undefined} (the runtime's default roots)
   */
  tls?: ClientTlsOptions | undefined;
  /**
   * An HTTP proxy to tunnel through with `CONNECT` (`http://[user:password@]host:port`, Basic
   * credentials from its userinfo), or `false` to go direct whatever the environment says. By
   * default the proxy comes from `proxyEnv`: `HTTPS_PROXY` for `wss:`, `HTTP_PROXY` for `ws:`,
   * unless `NO_PROXY` matches the host. `wss:` stays TLS end to end with the origin.
   * @default {undefined} (from `proxyEnv`)
   */
  proxy?: string | URL | false | undefined;
  /**
   * The environment variables the proxy is taken from when `proxy` is not given; the runtime
   * adapters set the process's own (on Deno, those `--allow-env` allows).
   * @default {undefined} (no proxy)
   */
  proxyEnv?: ProxyEnv | undefined;
  /**
   * Frame, message, fragment and response-head limits.
   * @default {DEFAULT_LIMITS}
   */
  limits?: Partial<Limits> | undefined;
  /**
   * Milliseconds to wait for the server's part of the closing handshake.
   * @default {10_000}
   */
  closeTimeout?: number | undefined;
  /**
   * Milliseconds between heartbeat pings; the connection is dropped when nothing arrives for a
   * whole interval (see `ConnectionOptions.heartbeatInterval`). 0 turns it off.
   * @default {30_000}
   */
  heartbeatInterval?: number | undefined;
  /**
   * Milliseconds without data after which the connection is closed with 1001. 0 turns it off.
   * @default {0}
   */
  idleTimeout?: number | undefined;
  /**
   * What `send` does when more than `limit` bytes wait to be written.
   * @default {{ limit: 16_777_216, policy: "wait" }}
   */
  sendBuffer?: SendBufferOptions | undefined;
  /**
   * permessage-deflate (RFC 7692): the parameters to offer, or `false` not to offer it. By
   * default the client offers it as browsers do (`permessage-deflate; client_max_window_bits`)
   * when a compression engine is available; the server's answer is validated
   * (rfc7692#section-7.1) and anything it did not offer fails the handshake.
   * @default {{}}
   */
  perMessageDeflate?: PerMessageDeflateOptions | false | undefined;
  /**
   * The compression engine; the runtime adapters set it (node:zlib). Without one, the
   * extension is not offered.
   * @default {undefined}
   */
  deflateEngine?: DeflateEngine | undefined;
  /**
   * Told about the connection's messages, drops, ping round trips and close code, for
   * metrics: `openTelemetry().client` from `wsflow/otel` records them as OpenTelemetry
   * instruments.
   * @default {undefined}
   */
  observer?: ConnectionObserver | undefined;
  /**
   * Receive messages as streams (`ws.messageStreams()`), never held whole: `true` with
   * `DEFAULT_STREAMING_LIMITS`, or the streamed messages' own limits (total bytes, frame size,
   * fragment count). Unless `perMessageDeflate` is set, a streaming client does not offer
   * permessage-deflate, since compressed messages are held to be inflated.
   * @default {false}
   */
  streaming?: boolean | Partial<StreamingLimits> | undefined;
  /**
   * Open the WebSocket as an extended CONNECT stream on an HTTP/2 connection (RFC 8441), which
   * other WebSockets to the same origin share, instead of its own HTTP/1.1 connection. The
   * server's SETTINGS must enable extended CONNECT, or the attempt fails with
   * `ExtendedConnectUnsupportedError`; nothing falls back to HTTP/1.1 silently. Node's `connect`
   * and `reconnect` only; no `proxy`.
   * @default {false}
   */
  http2?: boolean | undefined;
}

/**
 * Opens a WebSocket connection over the sockets `openSocket` makes: writes the opening
 * handshake, reads and checks the server's answer (rfc6455#section-4.1), and resolves with the
 * open client-side {@linkcode Connection}. Frames the server sent right after its 101 are kept.
 *
 * `http:` and `https:` URLs are taken as `ws:` and `wss:`; an IPv6 host is written in brackets
 * (`ws://[::1]:8080/`).
 *
 * @example Over a runtime's sockets (what the adapters' `connect` does)
 * ```ts
 * import { connectWith } from "@wsflow/wsflow";
 * import { openSocket, serve } from "@wsflow/wsflow/deno"; // or /node, /bun
 *
 * const server = await serve((ws) => {
 *   return ws.close(1000, `room ${ws.url.searchParams.get("room")}`);
 * }, { hostname: "127.0.0.1", port: 0, protocols: ["chat"] });
 * const url = `ws://127.0.0.1:${server.addr.port}/chat?room=1`;
 * const ws = await connectWith(openSocket, url, { protocols: ["chat"] });
 * console.log(ws.protocol); // chat
 * console.log((await ws.closed).reason); // room 1
 * await server.close();
 * ```
 * @param openSocket The transport's socket opener.
 * @param url The `ws:` or `wss:` URL.
 * @param options Subprotocols, headers, abort signal, timeouts, TLS and limits.
 * @returns The open connection.
 * @throws {SyntaxError} (rejects) When the URL or a subprotocol is invalid.
 * @throws {TypeError} (rejects) When a header is invalid or one the handshake sets itself.
 * @throws {HandshakeError} (rejects) When the socket cannot be opened, fails, or closes before
 * the answer, or the attempt times out (status 0, the transport's error as `cause`); or when
 * the server's answer does not complete the handshake: then `status` and `headers` are the
 * server's (a 404, a 401 challenge, a 101 with a wrong accept key…). Messages leave out the
 * URL's query and credentials.
 * @throws {unknown} (rejects) The signal's reason, when `signal` aborts first.
 */
export async function connectWith(
  openSocket: OpenSocket,
  url: string | URL,
  options: ConnectOptions = {},
): Promise<Connection> {
  if (options.http2 === true) {
    throw new TypeError(
      "Cannot connect over HTTP/2 with connectWith: use an adapter's connect (wsflow/node)",
    );
  }
  const deflateOptions = offeredDeflate(options);
  const handshake = createClientHandshake({
    url,
    protocols: options.protocols,
    headers: options.headers,
    extensions: deflateOptions === undefined ? undefined : buildClientOffer(deflateOptions),
  });
  const { wsUrl, secure, hostname, port, endpoint } = webSocketTarget(url);

  const proxyUrl = options.proxy === false
    ? undefined
    : options.proxy !== undefined
    ? parseProxyUrl(options.proxy)
    : options.proxyEnv === undefined
    ? undefined
    : proxyFromEnv(wsUrl, options.proxyEnv);
  let proxy: SocketProxy | undefined;
  // Whether the proxy answered: before that, a failure is the proxy's being unreachable.
  let reachedProxy = false;
  if (proxyUrl !== undefined) {
    const tunnel = socketProxy(proxyUrl, hostname, port, options.limits);
    proxy = {
      hostname: tunnel.hostname,
      port: tunnel.port,
      open: (io) => {
        reachedProxy = true;
        return tunnel.open(io);
      },
    };
  }
  const failureOpening = (error: unknown): unknown => {
    if (proxyUrl === undefined || reachedProxy || attempt.signal.aborted) return failure(error);
    const detail = error instanceof Error ? error.message : String(error);
    return new ProxyError(
      `Cannot connect to proxy ${redactProxyUrl(proxyUrl)}: ${detail}`,
      0,
      undefined,
      { cause: error },
    );
  };

  const { signal } = options;
  signal?.throwIfAborted();
  const timeout = options.handshakeTimeout ?? 10_000;
  const attempt = startHandshakeAttempt(
    signal,
    timeout,
    endpoint,
    `Cannot connect to ${endpoint}: no WebSocket connection within ${timeout} ms ` +
      "(rfc6455#section-4.1)",
  );
  const { ended, failure } = attempt;

  try {
    const opening = openSocket({
      hostname,
      port,
      tls: secure ? options.tls ?? {} : undefined,
      signal: attempt.signal,
      proxy,
    });
    let stream: ByteStream;
    try {
      stream = await Promise.race([opening, ended]);
    } catch (error) {
      // A socket that opens after the attempt ended is closed at once.
      opening.then(discard, noop);
      throw failureOpening(error);
    }

    // Straight to the socket where the adapter offers that: no web streams for the handshake
    // (nor, once the locks are released, for the connection).
    const reader = readerOf(stream);
    const writer = writerOf(stream);
    let connectionOptions: ConnectionOptions;
    try {
      await Promise.race([writer.write(handshake.requestBytes), ended]);
      const response = await readResponse(reader, options.limits, ended);
      const accepted = await validateUpgradeResponse(response, handshake);
      let deflate: AgreedDeflate | undefined;
      // rfc7692#section-7.1: the server accepted the offer; its parameters must fit it
      if (deflateOptions !== undefined && accepted.extensionList.length > 0) {
        deflate = {
          params: acceptServerResponse(accepted.extensionList, deflateOptions),
          threshold: deflateOptions.threshold,
        };
      }
      connectionOptions = connectionOptionsFrom(options, "client", {
        protocol: accepted.protocol,
        extensions: accepted.extensions,
        url: wsUrl,
        rest: response.rest,
        deflate,
      });
    } catch (error) {
      // rfc6455#section-4.1: if the server's response is not valid, the client MUST _Fail the
      // WebSocket Connection_; with no WebSocket yet, that is closing the socket.
      reader.cancel().catch(noop);
      writer.abort().catch(noop);
      throw failure(error);
    }
    reader.releaseLock();
    writer.releaseLock();
    return new Connection(stream, connectionOptions);
  } finally {
    attempt.finish();
  }
}

/**
 * The permessage-deflate parameters a client offers: none without an engine or when turned off,
 * and none by default on a streaming connection (compressed messages would be held whole).
 *
 * @example
 * ```ts ignore
 * console.log(offeredDeflate({ deflateEngine, streaming: true })); // undefined
 * ```
 * @param options The connect options.
 * @returns The parameters to offer, or `undefined`.
 */
export function offeredDeflate(options: ConnectOptions): PerMessageDeflateOptions | undefined {
  if (options.deflateEngine === undefined || options.perMessageDeflate === false) return undefined;
  if (options.perMessageDeflate === undefined && (options.streaming ?? false) !== false) {
    return undefined;
  }
  return options.perMessageDeflate ?? {};
}

/** Where a `ws:`/`wss:` URL points, as a socket and as error messages name it. */
export interface WebSocketTarget {
  /** The URL, `ws:` or `wss:`. */
  readonly wsUrl: URL;
  /** Whether it is `wss:`. */
  readonly secure: boolean;
  /** The host, an IPv6 address without its brackets. */
  readonly hostname: string;
  /** The port, 80 or 443 when the URL names none. */
  readonly port: number;
  /** Scheme, host and path: no query or credentials, which may be secrets. */
  readonly endpoint: string;
}

/**
 * Reads a WebSocket URL into what a socket and an error message need.
 *
 * @example
 * ```ts ignore
 * console.log(webSocketTarget("wss://[::1]/chat?token=x").endpoint); // wss://[::1]/chat
 * ```
 * @param url The URL (`http:` and `https:` are taken as `ws:` and `wss:`).
 * @returns The target.
 * @throws {SyntaxError} When it is not a WebSocket URL.
 */
export function webSocketTarget(url: string | URL): WebSocketTarget {
  const wsUrl = parseWebSocketUrl(url);
  const secure = wsUrl.protocol === "wss:";
  return {
    wsUrl,
    secure,
    // URL keeps an IPv6 host in brackets; sockets want the bare address.
    hostname: wsUrl.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: wsUrl.port === "" ? (secure ? 443 : 80) : Number(wsUrl.port),
    endpoint: `${wsUrl.protocol}//${wsUrl.host}${wsUrl.pathname}`,
  };
}

function discard(stream: ByteStream): void {
  readerOf(stream).cancel().catch(noop);
  writerOf(stream).abort().catch(noop);
}
