/**
 * The WHATWG `WebSocketStream` interface over {@linkcode connectWith}: a connection as a
 * readable and a writable stream, with backpressure both ways.
 *
 * Runtime-free like {@linkcode WebSocket}: each adapter exports a `WebSocketStream` bound to
 * its socket opener; this one takes it as `options.openSocket`. Its checks are `WebSocket`'s
 * (`web_api.ts`), its writable is `Connection.writable`'s (`messageWritable`).
 *
 * @module
 * @see {@link https://websockets.spec.whatwg.org/#the-websocketstream-interface}
 */

import { ConnectionClosedError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import type { Connection } from "../streams/connection.ts";
import { messageWritable } from "../streams/message_streams.ts";
import { noop } from "../streams/noop.ts";
import { type ConnectOptions, connectWith, type OpenSocket } from "./connect.ts";
import { checkCloseArguments, checkProtocols, parseUrl, toMessage } from "./web_api.ts";

/**
 * Options of {@linkcode WebSocketStream}: the standard's `protocols` and `signal`, the socket
 * opener, and what browsers decide for the page.
 *
 * @example
 * ```ts
 * import type { WebSocketStreamOptions } from "@wsflow/wsflow";
 * const options: WebSocketStreamOptions = { protocols: ["chat"], signal: AbortSignal.timeout(5_000) };
 * console.log(options.protocols); // ["chat"]
 * ```
 */
export interface WebSocketStreamOptions extends ConnectOptions {
  /**
   * Opens the socket. The adapters' `WebSocketStream` classes set it.
   * @default {undefined}
   */
  openSocket?: OpenSocket | undefined;
}

/**
 * What {@linkcode WebSocketStream.opened} resolves with.
 *
 * @example
 * ```ts
 * import { handleStream, type WebSocketOpenInfo, WebSocketStream } from "@wsflow/wsflow";
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 *
 * const [serverEnd, clientEnd] = byteStreamPair();
 * void handleStream(serverEnd, (ws) => ws.close(), { protocols: ["chat"] });
 * const wss = new WebSocketStream("ws://example.com/", {
 *   protocols: ["chat"],
 *   openSocket: () => Promise.resolve(clientEnd),
 * });
 * const info: WebSocketOpenInfo = await wss.opened;
 * console.log(info.protocol, info.extensions === ""); // chat true
 * await wss.closed;
 * ```
 */
export interface WebSocketOpenInfo {
  /** Received messages: `string` for text, `Uint8Array` for binary. Cancelling it closes. */
  readable: ReadableStream<Message>;
  /** Messages to send: strings as text, anything else as binary. Closing it closes. */
  writable: WritableStream<string | ArrayBufferLike | ArrayBufferView>;
  /** The subprotocol the server selected, or `""`. */
  protocol: string;
  /** The extensions the server accepted, or `""`. */
  extensions: string;
}

/**
 * A close code and reason: what {@linkcode WebSocketStream.close} sends and
 * {@linkcode WebSocketStream.closed} resolves with.
 *
 * @example
 * ```ts
 * import type { WebSocketCloseInfo } from "@wsflow/wsflow";
 * const info: WebSocketCloseInfo = { closeCode: 4000, reason: "done" };
 * console.log(info.closeCode); // 4000
 * ```
 */
export interface WebSocketCloseInfo {
  /**
   * The close code: 1000 or 3000-4999 to send.
   * @default {undefined} (1000 when a reason is given, otherwise none)
   */
  closeCode?: number | undefined;
  /**
   * At most 123 bytes of UTF-8.
   * @default {""}
   */
  reason?: string | undefined;
}

/**
 * A WebSocket client as a pair of streams, shaped like the WHATWG proposal: `opened` resolves
 * with `{ readable, writable, protocol, extensions }`, `closed` with `{ closeCode, reason }`
 * after a clean close (it rejects with `ConnectionClosedError` after an unclean one, and with
 * the error or abort reason when the connection never opened).
 *
 * The adapters export it with their `openSocket` already set (`wsflow/deno`, `/bun`, `/node`);
 * from the main entry point, pass a transport as `options.openSocket`.
 *
 * @example Over an in-memory transport, to an echo server
 * ```ts
 * import { handleStream, WebSocketStream } from "@wsflow/wsflow";
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 *
 * const [serverEnd, clientEnd] = byteStreamPair();
 * void handleStream(serverEnd, async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * });
 * const wss = new WebSocketStream("ws://example.com/echo", {
 *   openSocket: () => Promise.resolve(clientEnd),
 * });
 * const { readable, writable } = await wss.opened;
 * const writer = writable.getWriter();
 * await writer.write("hello");
 * for await (const message of readable) {
 *   console.log(message); // hello
 *   wss.close({ closeCode: 1000, reason: "done" });
 * }
 * console.log(await wss.closed); // { closeCode: 1000, reason: "done" }
 * ```
 * @see {@link https://websockets.spec.whatwg.org/#the-websocketstream-interface}
 */
export class WebSocketStream {
  /** The URL connected to, serialized (`http:` shown as `ws:`). */
  readonly url: string;
  /** Resolves once the connection is open; rejects if it cannot be opened. */
  readonly opened: Promise<WebSocketOpenInfo>;
  /** Resolves after a clean close; rejects after an unclean one or a failed open. */
  readonly closed: Promise<WebSocketCloseInfo>;

  readonly #attempt = new AbortController();
  #connection: Connection | undefined;

  /**
   * Starts connecting to `url`.
   *
   * @param url The `ws:` or `wss:` URL (`http:` and `https:` are taken as those).
   * @param options Subprotocols, abort signal, the socket opener, and what browsers decide for
   *   the page.
   * @throws {DOMException} `SyntaxError` when the URL or a subprotocol is invalid.
   * @throws {TypeError} When no `openSocket` is given.
   */
  constructor(url: string | URL, options: WebSocketStreamOptions = {}) {
    this.url = parseUrl(url).href;
    const { openSocket, signal, ...connectOptions } = options;
    checkProtocols(options.protocols ?? []);
    if (openSocket === undefined) {
      throw new TypeError(
        "Cannot construct WebSocketStream: no socket opener; import WebSocketStream from " +
          "@wsflow/wsflow/deno, /bun or /node, or pass options.openSocket",
      );
    }
    // The caller's signal and close() both abandon the attempt.
    const onAbort = (): void => this.#attempt.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
    const connecting = connectWith(openSocket, this.url, {
      ...connectOptions,
      signal: this.#attempt.signal,
    }).then((connection) => {
      // close() may have come between the handshake's end and this continuation.
      if (this.#attempt.signal.aborted) {
        connection.terminate();
        throw this.#attempt.signal.reason;
      }
      this.#connection = connection;
      return connection;
    }).finally(() => signal?.removeEventListener("abort", onAbort));

    this.opened = connecting.then((connection) => {
      return {
        readable: connection.readable,
        writable: writableFor(connection),
        protocol: connection.protocol,
        extensions: connection.extensions,
      };
    });
    this.closed = connecting.then(async (connection) => {
      const { code, reason, wasClean } = await connection.closed;
      if (!wasClean) throw new ConnectionClosedError(code, reason, wasClean);
      return { closeCode: code, reason };
    });
    // Like the standard's promises, these never count as unhandled rejections.
    this.opened.catch(noop);
    this.closed.catch(noop);
  }

  /**
   * Starts the closing handshake, or abandons a connection still being opened.
   *
   * @param closeInfo The close code (1000 or 3000-4999) and reason (at most 123 bytes).
   * @throws {DOMException} `InvalidAccessError` for another code; `SyntaxError` for a longer
   * reason.
   */
  close(closeInfo: WebSocketCloseInfo = {}): void {
    const { closeCode, reason } = closeInfo;
    checkCloseArguments(closeCode, reason);
    if (this.#connection === undefined) {
      this.#attempt.abort(new DOMException("close() was called while connecting", "AbortError"));
      return;
    }
    this.#connection.close(closeCode, reason || undefined).catch(noop);
  }
}

// The connection's writable, taking what WebSocketStream takes: any binary data, copied.
function writableFor(
  connection: Connection,
): WritableStream<string | ArrayBufferLike | ArrayBufferView> {
  return messageWritable({
    send: (chunk: string | ArrayBufferLike | ArrayBufferView): Promise<void> =>
      connection.send(toMessage(chunk)),
    close: (): Promise<unknown> => connection.close(),
  });
}
