/**
 * How either end turns a finished opening handshake into a {@linkcode ConnectionOptions}: the
 * caller's settings (limits, timeouts, buffering, the deflate engine), the handshake's results
 * (subprotocol, extensions, URL, the bytes after the head) and, when permessage-deflate was
 * agreed, the compressor and decompressor built for this end's role.
 *
 * Server and client each did this by hand, option by option; here it is written once, so an
 * option added to `ConnectionOptions` is threaded through for both.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7}
 */

import type { Role } from "../protocol/frame.ts";
import type { Limits, StreamingLimits } from "../protocol/limits.ts";
import { DEFAULT_DEFLATE_THRESHOLD, type DeflateParams } from "../protocol/permessage_deflate.ts";
import type { ConnectionObserver } from "./connection_observer.ts";
import type { ConnectionWiring, HeaderFields, SendBufferOptions } from "./connection_options.ts";
import type { ConnectionDeflate, DeflateEngine } from "./deflate_engine.ts";
import type { MemoryBudget } from "./memory_budget.ts";

/**
 * The caller's settings a connection takes over: the fields `ServeOptions` and
 * `ConnectOptions` share with {@linkcode ConnectionOptions}, so either can be passed as it is.
 * An absent field keeps the connection's default. `partialMessageBudget` is the server's only.
 *
 * @example
 * ```ts ignore
 * const settings: ConnectionSettings = { closeTimeout: 5_000, heartbeatInterval: 0 };
 * ```
 */
export interface ConnectionSettings {
  /** See {@linkcode ConnectionOptions.limits}. */
  limits?: Partial<Limits> | undefined;
  /** See {@linkcode ConnectionOptions.closeTimeout}. */
  closeTimeout?: number | undefined;
  /** See {@linkcode ConnectionOptions.heartbeatInterval}. */
  heartbeatInterval?: number | undefined;
  /** See {@linkcode ConnectionOptions.idleTimeout}. */
  idleTimeout?: number | undefined;
  /** See {@linkcode ConnectionOptions.sendBuffer}. */
  sendBuffer?: SendBufferOptions | undefined;
  /** See {@linkcode ConnectionOptions.partialMessageBudget}. */
  partialMessageBudget?: MemoryBudget | undefined;
  /** See {@linkcode ConnectionOptions.observer}. */
  observer?: ConnectionObserver | undefined;
  /** See {@linkcode ConnectionOptions.streaming}. */
  streaming?: boolean | Partial<StreamingLimits> | undefined;
  /** Builds the compressor and decompressor when permessage-deflate was agreed. */
  deflateEngine?: DeflateEngine | undefined;
}

/**
 * permessage-deflate as the handshake agreed it (rfc7692#section-7.1).
 *
 * @example
 * ```ts ignore
 * const agreed: AgreedDeflate = { params: acceptServerResponse(extensionList, offer) };
 * ```
 */
export interface AgreedDeflate {
  /** The agreed parameters: windows and context takeover, both ways. */
  params: DeflateParams;
  /**
   * Messages smaller than this many bytes are sent uncompressed.
   * @default {DEFAULT_DEFLATE_THRESHOLD}
   */
  threshold?: number | undefined;
}

/**
 * What the opening handshake settled, as a connection needs it.
 *
 * @example
 * ```ts ignore
 * const opened: OpenedHandshake = {
 *   protocol: "chat", extensions: "", url: new URL("ws://example.com/chat"), rest: response.rest,
 * };
 * ```
 */
export interface OpenedHandshake {
  /** The negotiated subprotocol, or `""`. */
  protocol: string;
  /** The negotiated extensions, as sent in Sec-WebSocket-Extensions, or `""`. */
  extensions: string;
  /**
   * The URL of the opening handshake; as a string, the connection makes the `URL` only if its
   * `url` is read.
   */
  url: URL | string;
  /**
   * The opening handshake's request headers (a server's connection keeps them); as header
   * lines (or one string of `Name: value\r\n` lines), the connection makes the `Headers` only
   * if its `headers` is read.
   * @default {undefined}
   */
  headers?: Headers | HeaderFields | string | undefined;
  /** Bytes that arrived after the handshake's head: the peer's first frames, or none. */
  rest: Uint8Array;
  /**
   * permessage-deflate, when it was agreed.
   * @default {undefined}
   */
  deflate?: AgreedDeflate | undefined;
}

/**
 * Builds one connection's permessage-deflate machinery from the agreed parameters: the
 * compressor of what this end sends and the decompressor of what the peer sends, each with the
 * window and context takeover of its side (`role` says which side of the parameters is ours).
 *
 * @example
 * ```ts ignore
 * const deflate = connectionDeflate(zlibDeflateEngine, "client", { params });
 * console.log(deflate.threshold); // DEFAULT_DEFLATE_THRESHOLD
 * ```
 * @param engine The compression engine.
 * @param role This endpoint's role.
 * @param agreed The agreed parameters and threshold.
 * @returns The compressor, decompressor and threshold.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.1}
 */
export function connectionDeflate(
  engine: DeflateEngine,
  role: Role,
  agreed: AgreedDeflate,
): ConnectionDeflate {
  const deflate: ConnectionDeflate = {
    deflater: engine.deflater(agreed.params, role),
    inflater: engine.inflater(agreed.params, role),
    threshold: agreed.threshold ?? DEFAULT_DEFLATE_THRESHOLD,
  };
  // Without context takeover on our side each message is compressed on its own, so one
  // compressed frame suits every connection with the same window (rfc7692#section-7.1.1).
  const { params } = agreed;
  if (role === "server" ? params.serverNoContextTakeover : params.clientNoContextTakeover) {
    deflate.sharedWindowBits = role === "server"
      ? params.serverMaxWindowBits
      : params.clientMaxWindowBits;
  }
  return deflate;
}

/**
 * The options of a new `Connection` for `role`, from the caller's settings and what the opening
 * handshake settled. Settings left out are left out here too, so the connection's defaults
 * apply. When the handshake agreed permessage-deflate, the compressor and decompressor are built
 * with `settings.deflateEngine`.
 *
 * @example
 * ```ts ignore
 * const connection = new Connection(stream, connectionOptionsFrom(options, "client", {
 *   protocol: accepted.protocol,
 *   extensions: accepted.extensions,
 *   url,
 *   rest: response.rest,
 * }));
 * ```
 * @param settings The caller's settings (`ServeOptions`, `ConnectOptions`).
 * @param role Which end this endpoint is.
 * @param opened What the opening handshake settled.
 * @returns The connection's options.
 * @throws {TypeError} When deflate was agreed without a `deflateEngine`: the handshake must not
 * offer or accept it then.
 */
export function connectionOptionsFrom(
  settings: ConnectionSettings,
  role: Role,
  opened: OpenedHandshake,
): ConnectionWiring {
  const options: ConnectionWiring = {
    role,
    protocol: opened.protocol,
    extensions: opened.extensions,
    head: opened.rest,
  };
  const { url, headers } = opened;
  if (typeof url === "string") options.href = url;
  else options.url = url;
  if (headers instanceof Headers) options.headers = headers;
  else if (headers !== undefined) options.headerFields = headers;
  if (opened.deflate !== undefined) {
    if (settings.deflateEngine === undefined) {
      throw new TypeError(
        "Cannot set up permessage-deflate: it was agreed, but there is no deflateEngine",
      );
    }
    options.deflate = connectionDeflate(settings.deflateEngine, role, opened.deflate);
  }
  if (settings.limits !== undefined) options.limits = settings.limits;
  if (settings.closeTimeout !== undefined) options.closeTimeout = settings.closeTimeout;
  if (settings.heartbeatInterval !== undefined) {
    options.heartbeatInterval = settings.heartbeatInterval;
  }
  if (settings.idleTimeout !== undefined) options.idleTimeout = settings.idleTimeout;
  if (settings.sendBuffer !== undefined) options.sendBuffer = settings.sendBuffer;
  if (settings.observer !== undefined) options.observer = settings.observer;
  if (settings.partialMessageBudget !== undefined) {
    options.partialMessageBudget = settings.partialMessageBudget;
  }
  if (settings.streaming !== undefined) options.streaming = settings.streaming;
  return options;
}
