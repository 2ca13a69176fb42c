/**
 * The WHATWG `WebSocket` interface over {@linkcode connectWith}, so code written for browsers
 * runs on any transport.
 *
 * It is runtime-free: it needs a socket opener. Each adapter exports a `WebSocket` bound to its
 * own (`import { WebSocket } from "@wsflow/wsflow/node"`); this one takes it as
 * `options.openSocket`. The checks it shares with `WebSocketStream` (URL, subprotocols, `close`
 * arguments) are in `web_api.ts`.
 *
 * @module
 * @see {@link https://websockets.spec.whatwg.org/#the-websocket-interface}
 */

import type { Message } from "../protocol/message.ts";
import type { Connection } from "../streams/connection.ts";
import { noop } from "../streams/noop.ts";
import { type ConnectOptions, connectWith, type OpenSocket } from "./connect.ts";
import { checkCloseArguments, checkProtocols, parseUrl, toMessage } from "./web_api.ts";

/**
 * Options of {@linkcode WebSocket} beyond the standard constructor's: the transport, and what
 * browsers decide for the page (headers, certificates).
 *
 * @example
 * ```ts
 * import type { WebSocketOptions } from "@wsflow/wsflow";
 * const options: WebSocketOptions = { headers: { authorization: "Bearer abc" } };
 * console.log(options.headers); // { authorization: "Bearer abc" }
 * ```
 */
export interface WebSocketOptions extends Omit<ConnectOptions, "protocols" | "signal"> {
  /**
   * Opens the socket. The adapters' `WebSocket` classes set it.
   * @default {undefined}
   */
  openSocket?: OpenSocket | undefined;
}

/**
 * What `binaryType` may be: how binary messages are handed to `message` listeners.
 *
 * @example
 * ```ts
 * import type { WebSocketBinaryType } from "@wsflow/wsflow";
 * const type: WebSocketBinaryType = "arraybuffer";
 * console.log(type); // arraybuffer
 * ```
 */
export type WebSocketBinaryType = "blob" | "arraybuffer";

/** A `CloseEvent` where the runtime has one; Node 20 has none. */
const CloseEventClass: typeof CloseEvent =
  (globalThis as { CloseEvent?: typeof CloseEvent }).CloseEvent ??
    class CloseEvent extends Event {
      readonly code: number;
      readonly reason: string;
      readonly wasClean: boolean;
      constructor(type: string, init: CloseEventInit = {}) {
        super(type, init);
        this.code = init.code ?? 0;
        this.reason = init.reason ?? "";
        this.wasClean = init.wasClean ?? false;
      }
    };

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

// rfc6455#section-7.4.1: 1006 is never sent; the API reports it for a connection that failed
const ABNORMAL_CLOSURE = 1006;

type Handler = ((this: WebSocket, event: never) => unknown) | null;

interface HandlerSlot {
  handler: (event: Event) => unknown;
  listener: (event: Event) => void;
}

/**
 * A WebSocket client with the browser's interface: `open`, `message`, `error` and `close`
 * events (as listeners or `on…` attributes), `send`, `close`, `readyState`, `binaryType`,
 * `bufferedAmount`, `protocol`, `extensions` and `url`.
 *
 * Events follow the WHATWG order: `open`, any `message`s, then `close`, preceded by `error`
 * when the connection failed: a refused handshake, or a protocol error by the server. A
 * connection that ends without a closing handshake reports code 1006. Messages that arrive
 * after `close()` was called are dropped, as in browsers.
 *
 * The adapters export it with their `openSocket` already set (`wsflow/deno`, `/bun`, `/node`);
 * from the main entry point, pass a transport as `options.openSocket`.
 *
 * @example Over an in-memory transport, to an echo server
 * ```ts
 * import { handleStream, WebSocket } from "@wsflow/wsflow";
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 *
 * const [serverEnd, clientEnd] = byteStreamPair();
 * void handleStream(serverEnd, async (ws) => {
 *   for await (const message of ws) await ws.send(message);
 * });
 * const ws = new WebSocket("ws://example.com/echo", [], {
 *   openSocket: () => Promise.resolve(clientEnd),
 * });
 * ws.binaryType = "arraybuffer";
 * ws.onopen = () => ws.send("hello");
 * ws.onmessage = (event) => {
 *   console.log(event.data); // hello
 *   ws.close(1000, "done");
 * };
 * const { code, wasClean } = await new Promise<CloseEvent>((resolve) => ws.onclose = resolve);
 * console.log(code, wasClean); // 1000 true
 * ```
 * @see {@link https://websockets.spec.whatwg.org/#the-websocket-interface}
 */
export class WebSocket extends EventTarget {
  /** `readyState` while the opening handshake runs. */
  static readonly CONNECTING: 0 = CONNECTING;
  /** `readyState` while messages may be sent and received. */
  static readonly OPEN: 1 = OPEN;
  /** `readyState` once the closing handshake started. */
  static readonly CLOSING: 2 = CLOSING;
  /** `readyState` once the connection is closed, or could not be opened. */
  static readonly CLOSED: 3 = CLOSED;
  /** `readyState` while the opening handshake runs. */
  declare readonly CONNECTING: 0;
  /** `readyState` while messages may be sent and received. */
  declare readonly OPEN: 1;
  /** `readyState` once the closing handshake started. */
  declare readonly CLOSING: 2;
  /** `readyState` once the connection is closed, or could not be opened. */
  declare readonly CLOSED: 3;

  readonly #url: string;
  readonly #attempt = new AbortController();
  #connection: Connection | undefined;
  #readyState: number = CONNECTING;
  #binaryType: WebSocketBinaryType = "blob";
  #bufferedAmount = 0;
  #protocol = "";
  #extensions = "";
  // While a Blob is being read, later sends wait behind it to keep their order.
  #sendQueue: Promise<void> | undefined;
  readonly #handlers = new Map<string, HandlerSlot>();

  /**
   * Starts connecting to `url`; listen for `open` to know when it is done.
   *
   * @param url The `ws:` or `wss:` URL (`http:` and `https:` are taken as those).
   * @param protocols Subprotocols to offer, in order of preference.
   * @param options The socket opener, and what browsers decide for the page.
   * @throws {DOMException} `SyntaxError` when the URL is not an absolute `ws:`, `wss:`, `http:`
   * or `https:` URL without fragment, or a subprotocol is not a token or is repeated.
   * @throws {TypeError} When no `openSocket` is given.
   */
  constructor(
    url: string | URL,
    protocols?: string | readonly string[],
    options: WebSocketOptions = {},
  ) {
    super();
    const parsed = parseUrl(url);
    const offered = typeof protocols === "string" ? [protocols] : [...(protocols ?? [])];
    checkProtocols(offered);
    const { openSocket, ...connectOptions } = options;
    if (openSocket === undefined) {
      throw new TypeError(
        "Cannot construct WebSocket: no socket opener; import WebSocket from " +
          "@wsflow/wsflow/deno, /bun or /node, or pass options.openSocket",
      );
    }
    this.#url = parsed.href;
    void this.#run(openSocket, offered, connectOptions);
  }

  /** The URL connected to, serialized (`http:` shown as `ws:`). */
  get url(): string {
    return this.#url;
  }

  /**
   * `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3).
   *
   * @returns The state.
   */
  get readyState(): number {
    return this.#readyState;
  }

  /**
   * Bytes passed to `send` that have not been handed to the socket yet. Once the connection is
   * closing, sent data only adds to it.
   *
   * @returns The byte count.
   */
  get bufferedAmount(): number {
    return this.#bufferedAmount;
  }

  /** The subprotocol the server selected, or `""`. */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions the server accepted, or `""`. */
  get extensions(): string {
    return this.#extensions;
  }

  /**
   * How binary messages are delivered: as a `Blob` (the default) or an `ArrayBuffer`. Other
   * values are ignored.
   *
   * @returns The binary type.
   */
  get binaryType(): WebSocketBinaryType {
    return this.#binaryType;
  }

  set binaryType(value: WebSocketBinaryType) {
    if (value === "blob" || value === "arraybuffer") this.#binaryType = value;
  }

  /**
   * Called on `open`.
   *
   * @returns The handler.
   */
  get onopen(): ((this: WebSocket, event: Event) => unknown) | null {
    return this.#getHandler("open");
  }

  set onopen(handler: ((this: WebSocket, event: Event) => unknown) | null) {
    this.#setHandler("open", handler);
  }

  /**
   * Called on each `message`.
   *
   * @returns The handler.
   */
  get onmessage(): ((this: WebSocket, event: MessageEvent) => unknown) | null {
    return this.#getHandler("message");
  }

  set onmessage(handler: ((this: WebSocket, event: MessageEvent) => unknown) | null) {
    this.#setHandler("message", handler);
  }

  /**
   * Called on `error`.
   *
   * @returns The handler.
   */
  get onerror(): ((this: WebSocket, event: Event) => unknown) | null {
    return this.#getHandler("error");
  }

  set onerror(handler: ((this: WebSocket, event: Event) => unknown) | null) {
    this.#setHandler("error", handler);
  }

  /**
   * Called on `close`.
   *
   * @returns The handler.
   */
  get onclose(): ((this: WebSocket, event: CloseEvent) => unknown) | null {
    return this.#getHandler("close");
  }

  set onclose(handler: ((this: WebSocket, event: CloseEvent) => unknown) | null) {
    this.#setHandler("close", handler);
  }

  /**
   * Sends a message: text for a string, binary for anything else. Binary data is copied, so the
   * caller may reuse its buffer at once. Once the connection is closing, data is dropped (and
   * counted in `bufferedAmount`), as the standard says.
   *
   * @param data The message.
   * @throws {DOMException} `InvalidStateError` while still connecting.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob): void {
    if (this.#readyState === CONNECTING) {
      throw new DOMException("Cannot send: the connection is not open yet", "InvalidStateError");
    }
    if (data instanceof Blob) {
      this.#bufferedAmount += data.size;
      const read = data.arrayBuffer();
      this.#enqueue(async () => {
        const bytes = new Uint8Array(await read);
        this.#bufferedAmount -= data.size;
        this.#transmit(bytes);
      });
    } else if (this.#sendQueue === undefined) {
      this.#transmit(toMessage(data));
    } else {
      const message = toMessage(data);
      this.#enqueue(() => this.#transmit(message));
    }
  }

  /**
   * Starts the closing handshake, or abandons a connection still being opened (which then ends
   * with `error` and a `close` of 1006). Does nothing once closing or closed.
   *
   * @param code 1000, or 3000-4999 for the application's own codes.
   * @param reason At most 123 bytes of UTF-8 (`MAX_CLOSE_REASON_BYTES`).
   * @throws {DOMException} `InvalidAccessError` for any other code; `SyntaxError` for a
   * longer reason.
   * @see {@link https://websockets.spec.whatwg.org/#dom-websocket-close}
   */
  close(code?: number, reason?: string): void {
    checkCloseArguments(code, reason);
    if (this.#readyState === CLOSING || this.#readyState === CLOSED) return;
    const connecting = this.#readyState === CONNECTING;
    this.#readyState = CLOSING;
    if (connecting) {
      this.#attempt.abort(new DOMException("close() was called while connecting", "AbortError"));
    } else {
      this.#connection?.close(code, reason).catch(noop);
    }
  }

  #enqueue(step: () => void | Promise<void>): void {
    const queue = (this.#sendQueue ?? Promise.resolve()).then(step).catch(noop);
    this.#sendQueue = queue;
    void queue.then(() => {
      if (this.#sendQueue === queue) this.#sendQueue = undefined;
    });
  }

  #transmit(message: Message): void {
    const size = typeof message === "string" ? utf8Length(message) : message.length;
    this.#bufferedAmount += size;
    const connection = this.#connection;
    if (this.#readyState !== OPEN || connection === undefined) return;
    connection.send(message).then(() => {
      this.#bufferedAmount -= size;
    }, noop);
  }

  async #run(
    openSocket: OpenSocket,
    protocols: string[],
    options: Omit<WebSocketOptions, "openSocket">,
  ): Promise<void> {
    let connection: Connection;
    try {
      connection = await connectWith(openSocket, this.#url, {
        ...options,
        protocols,
        signal: this.#attempt.signal,
      });
    } catch {
      this.#finish(true, ABNORMAL_CLOSURE, "", false);
      return;
    }
    if (this.#readyState !== CONNECTING) {
      // close() came between the handshake's end and this continuation.
      connection.terminate();
      this.#finish(true, ABNORMAL_CLOSURE, "", false);
      return;
    }
    this.#connection = connection;
    this.#protocol = connection.protocol;
    this.#extensions = connection.extensions;
    this.#readyState = OPEN;
    this.dispatchEvent(new Event("open"));

    const origin = new URL(this.#url).origin;
    for await (const message of connection) {
      // Messages that arrived before the server's Close are delivered while OPEN; once close()
      // was called they are dropped (websockets#feedback-from-the-protocol).
      if (this.#readyState !== OPEN) continue;
      this.dispatchEvent(new MessageEvent("message", { data: this.#toData(message), origin }));
    }
    // Every message is out: the closing handshake is visibly under way.
    if (this.#readyState === OPEN) this.#readyState = CLOSING;
    const { code, reason, wasClean } = await connection.closed;
    if (wasClean) this.#finish(false, code, reason, true);
    // rfc6455#section-7.1.5: without a closing handshake the close code is 1006. A code other
    // than 1006 is the one this end sent when it failed the connection (rfc6455#section-7.1.7);
    // a transport that merely dropped is closed, not failed, so it fires no error.
    else this.#finish(code !== ABNORMAL_CLOSURE, ABNORMAL_CLOSURE, "", false);
  }

  #finish(failed: boolean, code: number, reason: string, wasClean: boolean): void {
    this.#readyState = CLOSED;
    if (failed) this.dispatchEvent(new Event("error"));
    this.dispatchEvent(new CloseEventClass("close", { code, reason, wasClean }));
  }

  #toData(message: Message): string | ArrayBuffer | Blob {
    if (typeof message === "string") return message;
    // Messages are received into plain ArrayBuffers, never shared ones.
    const bytes = message as Uint8Array<ArrayBuffer>;
    if (this.#binaryType === "blob") return new Blob([bytes]);
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? bytes.buffer
      : bytes.slice().buffer;
  }

  #getHandler<H extends Handler>(type: string): H {
    return (this.#handlers.get(type)?.handler ?? null) as H;
  }

  // An event handler attribute is one listener, added where it was first set and calling
  // whatever handler is current (html#event-handler-attributes).
  #setHandler(type: string, handler: Handler): void {
    const slot = this.#handlers.get(type);
    if (typeof handler !== "function") {
      if (slot !== undefined) {
        this.removeEventListener(type, slot.listener);
        this.#handlers.delete(type);
      }
      return;
    }
    if (slot !== undefined) {
      slot.handler = handler as (event: Event) => unknown;
      return;
    }
    const created: HandlerSlot = {
      handler: handler as (event: Event) => unknown,
      listener: (event) => {
        created.handler.call(this, event);
      },
    };
    this.#handlers.set(type, created);
    this.addEventListener(type, created.listener);
  }
}

// The constants live on the prototype too, as the standard has them.
Object.defineProperties(WebSocket.prototype, {
  CONNECTING: { value: CONNECTING, enumerable: true },
  OPEN: { value: OPEN, enumerable: true },
  CLOSING: { value: CLOSING, enumerable: true },
  CLOSED: { value: CLOSED, enumerable: true },
});

function utf8Length(text: string): number {
  let length = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) length += code >= 0x800 && (code < 0xd800 || code > 0xdfff) ? 2 : 1;
  }
  return length;
}
