/**
 * The types of the `ws`-compatible layer's `WebSocket` (entry point `wsflow/ws`), as `ws` names
 * them: what `send`, `ping` and `pong` take, their options and callback, the client's options,
 * how binary data reaches listeners, and the ready states.
 *
 * @module
 */

/**
 * How a {@linkcode WebSocket} hands binary data to `message`, `ping` and `pong` listeners:
 * a `Buffer` (`"nodebuffer"`, the default), an `ArrayBuffer`, or an array of `Buffer`s
 * (`"fragments"`; wsflow assembles messages, so the array has one element).
 *
 * @example
 * ```ts
 * import type { BinaryType } from "@wsflow/wsflow/ws";
 * const type: BinaryType = "arraybuffer";
 * console.log(type); // arraybuffer
 * ```
 */
export type BinaryType = "nodebuffer" | "arraybuffer" | "fragments";

/**
 * What `send`, `ping` and `pong` take: a string, a number (sent as its decimal text), or bytes.
 *
 * @example
 * ```ts
 * import type { WebSocketData } from "@wsflow/wsflow/ws";
 * const data: WebSocketData = new Uint8Array([1, 2, 3]);
 * console.log(data); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export type WebSocketData = string | number | ArrayBuffer | ArrayBufferView;

/**
 * Called once what `send`, `ping` or `pong` queued has been handed on, or with the error that
 * kept it from being sent.
 *
 * @example
 * ```ts
 * import type { SendCallback } from "@wsflow/wsflow/ws";
 * const done: SendCallback = (error) => console.log(error === undefined ? "sent" : error.message);
 * done(); // sent
 * ```
 */
export type SendCallback = (error?: Error) => void;

/**
 * Options of {@linkcode WebSocket.prototype.send}, as `ws` takes them.
 *
 * @example
 * ```ts
 * import type { SendOptions } from "@wsflow/wsflow/ws";
 * const options: SendOptions = { binary: true };
 * console.log(options.binary); // true
 * ```
 */
export interface SendOptions {
  /**
   * Whether to send a binary message; otherwise text (bytes are then read as UTF-8).
   * @default {typeof data !== "string"}
   */
  binary?: boolean | undefined;
  /**
   * `false` holds the data back as a fragment of a message that a later `send` with `fin`
   * true (or left out) completes; the message goes out whole.
   * @default {true}
   */
  fin?: boolean | undefined;
  /**
   * Accepted for `ws` compatibility; whether a message is compressed is the connection's choice
   * (permessage-deflate as negotiated, above its threshold).
   * @default {undefined}
   */
  compress?: boolean | undefined;
  /**
   * Accepted for `ws` compatibility; masking follows the endpoint's role (rfc6455#section-5.3).
   * @default {undefined}
   */
  mask?: boolean | undefined;
}

/**
 * Options of the client {@linkcode WebSocket} (`new WebSocket(url, protocols, options)`): the
 * `ws` client options that wsflow's client honours.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "@wsflow/wsflow/ws";
 * const options: ClientOptions = { headers: { authorization: "Bearer abc" }, maxPayload: 1 << 20 };
 * console.log(options.maxPayload); // 1048576
 * ```
 */
export interface ClientOptions {
  /**
   * Header fields for the opening handshake.
   * @default {undefined}
   */
  headers?: Record<string, string> | undefined;
  /**
   * The `Origin` header.
   * @default {undefined}
   */
  origin?: string | undefined;
  /**
   * Milliseconds the opening handshake may take.
   * @default {10_000}
   */
  handshakeTimeout?: number | undefined;
  /**
   * The largest message (and frame) accepted, in bytes; a larger one closes with 1009.
   * @default {16 MiB, wsflow's maxMessageSize}
   */
  maxPayload?: number | undefined;
  /**
   * `false` offers no permessage-deflate.
   * @default {true}
   */
  perMessageDeflate?: boolean | undefined;
}

/**
 * A {@linkcode WebSocket}'s state: `CONNECTING` (0), `OPEN` (1), `CLOSING` (2), `CLOSED` (3).
 *
 * @example
 * ```ts
 * import { type ReadyState, WebSocket } from "@wsflow/wsflow/ws";
 * const state: ReadyState = WebSocket.OPEN;
 * console.log(state); // 1
 * ```
 */
export type ReadyState = 0 | 1 | 2 | 3;
