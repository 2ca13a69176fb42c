/**
 * A reconnecting variant of the WHATWG `WebSocket` interface (as partysocket offers): the
 * browser's events and methods over a {@linkcode ReconnectingConnection}, so code written for
 * `WebSocket` gains reconnection, a bounded offline queue and an `onOpen` hook by changing the
 * class it constructs.
 *
 * It is runtime-free: it needs a socket opener. Each adapter exports `ReconnectingWebSocket`
 * bound to its own.
 *
 * @module
 */

import type { Message } from "../protocol/message.ts";
import type { Connection } from "../streams/connection.ts";
import { noop } from "../streams/noop.ts";
import { connectWith, type OpenSocket } from "./connect.ts";
import { ReconnectingConnection } from "./reconnecting_connection.ts";
import type { ReconnectEnd, ReconnectOptions, UrlSource } from "./reconnect_options.ts";
import { checkCloseArguments, checkProtocols, parseUrl, toMessage } from "./web_api.ts";

/**
 * Options of {@linkcode ReconnectingWebSocket}: the reconnection policy and `connect`'s
 * options, and the transport.
 *
 * @example
 * ```ts
 * import type { ReconnectingWebSocketOptions } from "@wsflow/wsflow";
 * const options: ReconnectingWebSocketOptions = { maxRetries: 10, queue: { maxMessages: 50 } };
 * console.log(options.maxRetries);
 * ```
 */
export interface ReconnectingWebSocketOptions
  extends Omit<ReconnectOptions, "protocols" | "connect"> {
  /**
   * Opens the socket. The adapters' `ReconnectingWebSocket` classes set it.
   * @default {undefined}
   */
  openSocket?: OpenSocket | undefined;
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

type Handler = ((event: Event) => unknown) | null;

/**
 * The WHATWG `WebSocket` interface, reconnecting. `readyState` is `CONNECTING` while an
 * attempt runs or waits, `OPEN` while a connection is open, and `CLOSED` only once it stopped
 * for good. Each connection fires `open` and `close`; a failed attempt fires `error`. Further
 * events: `reconnecting` (a `CustomEvent` whose `detail` has the `delay`, `attempt` and
 * `cause`), `dropped` (`detail.messages` the offline queue could not keep) and `gaveup`
 * (`detail` is how it ended). `send` while not open queues the message (it never throws for
 * that); the policy and the queue are {@linkcode ReconnectingConnection}'s.
 *
 * @example Over a runtime's sockets
 * ```ts ignore
 * import { ReconnectingWebSocket } from "@wsflow/wsflow/node"; // or /deno, /bun
 * const ws = new ReconnectingWebSocket("ws://127.0.0.1:8080/chat", [], {
 *   onOpen: (connection) => connection.send("join lobby"),
 * });
 * ws.onmessage = (event) => console.log(event.data);
 * ws.addEventListener("reconnecting", (event) => console.error((event as CustomEvent).detail));
 * ws.send("kept until a connection is open");
 * ```
 */
export class ReconnectingWebSocket extends EventTarget {
  /** `readyState` while an attempt runs or waits. */
  static readonly CONNECTING: 0 = CONNECTING;
  /** `readyState` while a connection is open. */
  static readonly OPEN: 1 = OPEN;
  /** `readyState` once `close()` was called. */
  static readonly CLOSING: 2 = CLOSING;
  /** `readyState` once it stopped for good. */
  static readonly CLOSED: 3 = CLOSED;

  readonly #inner: ReconnectingConnection;
  #readyState: number = CONNECTING;
  #url = "";
  #protocol = "";
  #extensions = "";
  #binaryType: "blob" | "arraybuffer" = "blob";
  readonly #handlers = new Map<string, { handler: Handler; listener: (e: Event) => void }>();

  /**
   * Starts the first attempt.
   *
   * @param url The `ws:` or `wss:` URL, or a function that computes it for each attempt.
   * @param protocols Subprotocols to offer, in order of preference.
   * @param options The policy, `connect`'s options, and the socket opener.
   * @throws {DOMException} `SyntaxError` when a fixed URL or a subprotocol is invalid.
   * @throws {TypeError} When no `openSocket` is given.
   */
  constructor(
    url: UrlSource,
    protocols?: string | readonly string[],
    options: ReconnectingWebSocketOptions = {},
  ) {
    super();
    if (typeof url !== "function") this.#url = parseUrl(url).href;
    const offered = typeof protocols === "string" ? [protocols] : [...(protocols ?? [])];
    checkProtocols(offered);
    const { openSocket, ...rest } = options;
    if (openSocket === undefined) {
      throw new TypeError(
        "Cannot construct ReconnectingWebSocket: no socket opener; import it from " +
          "@wsflow/wsflow/deno, /bun or /node, or pass options.openSocket",
      );
    }
    const inner = new ReconnectingConnection(url, {
      ...rest,
      protocols: offered,
      connect: (target, connectOptions) => connectWith(openSocket, target, connectOptions),
    });
    this.#inner = inner;
    inner.on("open", ({ connection, url }) => this.#opened(connection, url));
    inner.on("close", ({ code, reason, wasClean }) => {
      if (this.#readyState === OPEN) this.#readyState = CONNECTING;
      this.dispatchEvent(closeEvent(code, reason, wasClean));
    });
    inner.on("reconnecting", (detail) => {
      if (detail.cause.kind !== "close") this.dispatchEvent(new Event("error"));
      this.dispatchEvent(new CustomEvent("reconnecting", { detail }));
    });
    inner.on("dropped", (detail) => this.dispatchEvent(new CustomEvent("dropped", { detail })));
    void inner.closed.then((end) => this.#ended(end));
    void this.#pump();
  }

  /** The URL of the open or last connection (`""` before the first when computed). */
  get url(): string {
    return this.#url;
  }

  /**
   * `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) or `CLOSED` (3).
   * @returns The state.
   */
  get readyState(): number {
    return this.#readyState;
  }

  /**
   * Messages waiting in the offline queue.
   * @returns The count.
   */
  get queued(): number {
    return this.#inner.queued;
  }

  /**
   * Bytes given to `send` not yet handed to the socket (the open connection's).
   * @returns The byte count.
   */
  get bufferedAmount(): number {
    return this.#inner.connection?.bufferedAmount ?? 0;
  }

  /** The subprotocol the server of the open or last connection selected, or `""`. */
  get protocol(): string {
    return this.#protocol;
  }

  /** The extensions the server of the open or last connection accepted, or `""`. */
  get extensions(): string {
    return this.#extensions;
  }

  /**
   * How binary messages are delivered: `"blob"` (the default) or `"arraybuffer"`.
   * @returns The type.
   */
  get binaryType(): "blob" | "arraybuffer" {
    return this.#binaryType;
  }

  set binaryType(type: "blob" | "arraybuffer") {
    if (type === "blob" || type === "arraybuffer") this.#binaryType = type;
  }

  /**
   * Called on each `open`.
   * @returns The handler.
   */
  get onopen(): ((event: Event) => unknown) | null {
    return this.#handlers.get("open")?.handler ?? null;
  }
  set onopen(handler: ((event: Event) => unknown) | null) {
    this.#setHandler("open", handler);
  }
  /**
   * Called on each `message`.
   * @returns The handler.
   */
  get onmessage(): ((event: MessageEvent) => unknown) | null {
    return this.#handlers.get("message")?.handler ?? null;
  }
  set onmessage(handler: ((event: MessageEvent) => unknown) | null) {
    this.#setHandler("message", handler as Handler);
  }
  /**
   * Called on each `close`.
   * @returns The handler.
   */
  get onclose(): ((event: CloseEvent) => unknown) | null {
    return this.#handlers.get("close")?.handler ?? null;
  }
  set onclose(handler: ((event: CloseEvent) => unknown) | null) {
    this.#setHandler("close", handler as Handler);
  }
  /**
   * Called on each `error`.
   * @returns The handler.
   */
  get onerror(): ((event: Event) => unknown) | null {
    return this.#handlers.get("error")?.handler ?? null;
  }
  set onerror(handler: ((event: Event) => unknown) | null) {
    this.#setHandler("error", handler);
  }

  /**
   * Sends on the open connection, or queues the message until one opens.
   *
   * @param data Text, or bytes as an `ArrayBuffer` or a view (copied).
   * @throws {DOMException} `InvalidStateError` once closed.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView): void {
    if (this.#readyState >= CLOSING) {
      throw new DOMException(
        "Cannot send: the WebSocket is closing or closed",
        "InvalidStateError",
      );
    }
    this.#inner.send(toMessage(data)).catch((error: unknown) => {
      this.dispatchEvent(new CustomEvent("error", { detail: error }));
    });
  }

  /**
   * Stops for good and closes the open connection.
   *
   * @param code 1000 or 3000-4999.
   * @param reason At most 123 bytes of UTF-8.
   */
  close(code?: number, reason?: string): void {
    checkCloseArguments(code, reason);
    if (this.#readyState >= CLOSING) return;
    this.#readyState = CLOSING;
    this.#inner.close(code ?? 1000, reason ?? "").catch(noop);
  }

  #opened(connection: Connection, url: string): void {
    this.#url = url === "" ? this.#url : parseUrl(url).href;
    this.#protocol = connection.protocol;
    this.#extensions = connection.extensions;
    if (this.#readyState === CONNECTING) this.#readyState = OPEN;
    this.dispatchEvent(new Event("open"));
  }

  #ended(end: ReconnectEnd): void {
    this.#readyState = CLOSED;
    if (end.reason === "gave-up") this.dispatchEvent(new CustomEvent("gaveup", { detail: end }));
  }

  async #pump(): Promise<void> {
    for await (const message of this.#inner) {
      this.dispatchEvent(new MessageEvent("message", { data: this.#toData(message) }));
    }
  }

  #toData(message: Message): string | ArrayBuffer | Blob {
    if (typeof message === "string") return message;
    const bytes = message as Uint8Array<ArrayBuffer>;
    if (this.#binaryType === "blob") return new Blob([bytes]);
    return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
      ? bytes.buffer
      : bytes.slice().buffer;
  }

  // An event handler attribute is one listener, added where it was first set and calling
  // whatever handler is current (html#event-handler-attributes).
  #setHandler(type: string, handler: Handler): void {
    const slot = this.#handlers.get(type);
    if (typeof handler !== "function") {
      if (slot !== undefined) this.removeEventListener(type, slot.listener);
      this.#handlers.delete(type);
      return;
    }
    if (slot !== undefined) {
      slot.handler = handler;
      return;
    }
    const created = {
      handler: handler as Handler,
      listener: (event: Event): void => void created.handler?.call(this, event),
    };
    this.#handlers.set(type, created);
    this.addEventListener(type, created.listener);
  }
}

function closeEvent(code: number, reason: string, wasClean: boolean): Event {
  const CloseEventClass = (globalThis as { CloseEvent?: typeof CloseEvent }).CloseEvent;
  if (CloseEventClass !== undefined) {
    return new CloseEventClass("close", { code, reason, wasClean });
  }
  // Node 20 has no CloseEvent.
  return Object.assign(new Event("close"), { code, reason, wasClean });
}
