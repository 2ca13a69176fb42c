/**
 * The `WebSocket` of the `ws` package, as the libraries written against it use it (graphql-ws,
 * tRPC, y-websocket, Engine.IO), over a wsflow `Connection`: an `EventEmitter` with `message
 * (data, isBinary)`, `ping`, `pong`, `close (code, reason)` and `error` events, and `send`,
 * `ping`, `pong`, `close`, `terminate`, `pause`, `resume`, `readyState`, `protocol`,
 * `bufferedAmount` and `binaryType`.
 *
 * What runs underneath is wsflow's: its parser and limits, its heartbeat (a ping every 30 s by
 * default; the `pong` events include those answers), its backpressure, its close handshake. A
 * server makes these sockets (`node_ws_server.ts`); `new WebSocket(url)` is a client, over
 * wsflow's Node client.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { buildClosePayload } from "../protocol/close_payload.ts";
import { WebSocketError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import type { CloseEvent } from "../protocol/session.ts";
import type { Connection } from "../streams/connection.ts";
import { connect } from "./node_client.ts";

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

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;
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

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const ignore = (): void => {};

// Set by the class's static block: how the server adopts a connection.
let adopt: (socket: WebSocket, connection: Connection) => void;

/**
 * A socket of the `ws` package's shape over a wsflow connection.
 *
 * Servers ({@linkcode WebSocketServer}) make them for each connection; `new WebSocket(url,
 * protocols, options)` connects as a client. Listeners attached in the `connection` event (or
 * before `open`) see every message.
 *
 * `error` is emitted only when a listener is attached (`ws` would throw otherwise): for a
 * protocol error the connection failed with (its `closeCode` says which close code was sent),
 * just before `close`. A listener that throws is reported as an uncaught exception, as with
 * `ws`, and the socket goes on.
 *
 * @example A server socket, as a library sees it
 * ```ts
 * import { WebSocket, WebSocketServer } from "@wsflow/wsflow/ws";
 * const server = new WebSocketServer({ port: 0 });
 * await new Promise((resolve) => server.once("listening", resolve));
 * server.on("connection", (socket: WebSocket) => {
 *   socket.on("message", (data: Buffer, isBinary: boolean) => socket.send(data, { binary: isBinary }));
 * });
 * const client = new WebSocket(`ws://127.0.0.1:${server.address().port}/`);
 * client.on("open", () => client.send("hello"));
 * const [reply] = await new Promise<[Buffer]>((resolve) => client.once("message", (...a) => resolve(a as [Buffer])));
 * console.log(reply.toString()); // hello
 * client.close();
 * await new Promise((resolve) => server.close(resolve));
 * ```
 */
export class WebSocket extends EventEmitter {
  /** The connection is being opened. */
  static readonly CONNECTING: 0 = CONNECTING;
  /** The connection is open. */
  static readonly OPEN: 1 = OPEN;
  /** A Close frame was sent or received. */
  static readonly CLOSING: 2 = CLOSING;
  /** The connection is closed. */
  static readonly CLOSED: 3 = CLOSED;

  static {
    adopt = (socket, connection) => socket.#open(connection);
  }

  #connection: Connection | undefined;
  #state: ReadyState = CONNECTING;
  #binaryType: BinaryType = "nodebuffer";
  #paused = false;
  #resume: (() => void) | undefined;
  #fragments: Uint8Array[] | undefined;
  #fragmentsBinary = false;
  #url: string;
  // While a client connects: aborts the attempt (close() or terminate() before open).
  #abort: AbortController | undefined;

  /**
   * Connects to `address` as a client, or, with `null`, makes a socket for a server to adopt.
   *
   * @param address The `ws:` or `wss:` URL; `null` for a server's socket.
   * @param protocols Subprotocols to offer.
   * @param options Handshake headers, limits and timeouts.
   */
  constructor(
    address: string | URL | null,
    protocols?: string | readonly string[],
    options?: ClientOptions,
  ) {
    super();
    this.#url = address === null ? "" : String(address);
    if (address !== null) this.#connect(address, protocols, options ?? {});
  }

  /**
   * The `CONNECTING` state, on every instance as `ws` has it.
   *
   * @returns 0, as {@linkcode WebSocket.CONNECTING}.
   */
  get CONNECTING(): 0 {
    return CONNECTING;
  }
  /**
   * The `OPEN` state, on every instance as `ws` has it.
   *
   * @returns 1, as {@linkcode WebSocket.OPEN}.
   */
  get OPEN(): 1 {
    return OPEN;
  }
  /**
   * The `CLOSING` state, on every instance as `ws` has it.
   *
   * @returns 2, as {@linkcode WebSocket.CLOSING}.
   */
  get CLOSING(): 2 {
    return CLOSING;
  }
  /**
   * The `CLOSED` state, on every instance as `ws` has it.
   *
   * @returns 3, as {@linkcode WebSocket.CLOSED}.
   */
  get CLOSED(): 3 {
    return CLOSED;
  }

  /**
   * The state: `CONNECTING` (0), `OPEN` (1), `CLOSING` (2) once a Close frame went either way,
   * `CLOSED` (3) once the `close` event has been emitted.
   *
   * @returns The state.
   */
  get readyState(): ReadyState {
    if (this.#state !== OPEN) return this.#state;
    return this.#connection!.readyState === "open" ? OPEN : CLOSING;
  }

  /**
   * The negotiated subprotocol, or `""`.
   *
   * @returns The subprotocol.
   */
  get protocol(): string {
    return this.#connection?.protocol ?? "";
  }

  /**
   * The negotiated extensions (the `Sec-WebSocket-Extensions` answer), or `""`.
   *
   * @returns The extensions.
   */
  get extensions(): string {
    return this.#connection?.extensions ?? "";
  }

  /**
   * The URL: the one a client connected to, or a server socket's request URL (`ws:`/`wss:`).
   *
   * @returns The URL.
   */
  get url(): string {
    return this.#url;
  }

  /**
   * Bytes queued and not yet handed to the socket, plus fragments held back by `fin: false`.
   *
   * @returns The count.
   */
  get bufferedAmount(): number {
    let held = 0;
    for (const part of this.#fragments ?? []) held += part.byteLength;
    return (this.#connection?.bufferedAmount ?? 0) + held;
  }

  /**
   * How binary data reaches listeners; an unknown value is ignored, as `ws` does.
   *
   * @returns The type.
   */
  get binaryType(): BinaryType {
    return this.#binaryType;
  }

  set binaryType(type: BinaryType) {
    if (type === "nodebuffer" || type === "arraybuffer" || type === "fragments") {
      this.#binaryType = type;
    }
  }

  /**
   * Whether `pause()` holds back `message` events.
   *
   * @returns `true` while paused.
   */
  get isPaused(): boolean {
    return this.#paused;
  }

  /**
   * Sends a message: text for a string, binary for bytes, unless `options.binary` says.
   * Before the socket is open it throws; once it is closing, `cb` gets the error (nothing is
   * thrown), as with `ws`.
   *
   * @param data The message.
   * @param options `binary`, `fin`; or the callback.
   * @param cb Called once the message is handed on, or with the error.
   * @throws {Error} While connecting.
   */
  send(data: WebSocketData, options?: SendOptions | SendCallback, cb?: SendCallback): void {
    if (typeof options === "function") {
      cb = options;
      options = undefined;
    }
    const connection = this.#openConnection();
    if (connection === undefined || connection.readyState !== "open") {
      this.#afterClose(cb);
      return;
    }
    if (typeof data === "number") data = String(data);
    const binary = options?.binary ?? typeof data !== "string";
    let message: Message = binary
      ? typeof data === "string" || typeof data === "number"
        ? encoder.encode(String(data))
        : bytesOf(data)
      : typeof data === "string" || typeof data === "number"
      ? String(data)
      : decoder.decode(bytesOf(data));
    if (options?.fin === false || this.#fragments !== undefined) {
      const parts = this.#fragments ??= [];
      if (parts.length === 0) this.#fragmentsBinary = binary;
      parts.push(typeof message === "string" ? encoder.encode(message) : message.slice());
      if (options?.fin === false) {
        if (cb !== undefined) queueMicrotask(() => cb());
        return;
      }
      this.#fragments = undefined;
      const whole = concat(parts);
      message = this.#fragmentsBinary ? whole : decoder.decode(whole);
    }
    const sent = connection.send(message);
    if (cb === undefined) sent.catch(ignore);
    else sent.then(() => cb(), cb);
  }

  /**
   * Sends a Ping (rfc6455#section-5.5.2); its Pong comes as a `pong` event.
   *
   * @param data Application data, at most 125 bytes.
   * @param mask Ignored: masking follows the endpoint's role.
   * @param cb Called once the Ping is handed on, or with the error.
   * @throws {RangeError} When `data` is longer than 125 bytes.
   * @throws {Error} While connecting.
   */
  ping(
    data?: WebSocketData | SendCallback,
    mask?: boolean | SendCallback,
    cb?: SendCallback,
  ): void {
    ({ data, cb } = controlArguments(data, mask, cb));
    const payload = controlPayload(data);
    const connection = this.#openConnection();
    if (connection === undefined || connection.readyState !== "open") {
      this.#afterClose(cb);
      return;
    }
    connection.ping(payload).catch(ignore);
    if (cb !== undefined) queueMicrotask(() => cb());
  }

  /**
   * Sends an unsolicited Pong, a one-way heartbeat (rfc6455#section-5.5.3). Pings are answered
   * without a call.
   *
   * @param data Application data, at most 125 bytes.
   * @param mask Ignored: masking follows the endpoint's role.
   * @param cb Called once the Pong is handed on, or with the error.
   * @throws {RangeError} When `data` is longer than 125 bytes.
   * @throws {Error} While connecting.
   */
  pong(
    data?: WebSocketData | SendCallback,
    mask?: boolean | SendCallback,
    cb?: SendCallback,
  ): void {
    ({ data, cb } = controlArguments(data, mask, cb));
    const payload = controlPayload(data);
    const connection = this.#openConnection();
    if (connection === undefined || connection.readyState !== "open") {
      this.#afterClose(cb);
      return;
    }
    connection.pong(payload);
    if (cb !== undefined) queueMicrotask(() => cb());
  }

  /**
   * Starts the closing handshake (rfc6455#section-7.1.2); `close` is emitted when it is over.
   * While connecting, gives up the attempt.
   *
   * @param code The status code: 1000, 3000-4999, or another code that may be sent; without
   *   one, a Close frame without a code (and `reason` is not sent).
   * @param reason At most 123 bytes of UTF-8.
   * @throws {RangeError} When the code may not be sent or the reason is too long.
   */
  close(code?: number, reason?: string | Uint8Array): void {
    const text = reason === undefined || typeof reason === "string"
      ? reason
      : decoder.decode(reason);
    if (code !== undefined) buildClosePayload(code, text); // throws as `ws` does, at once
    if (this.#state === CLOSED) return;
    if (this.#state === CONNECTING) {
      this.#abort?.abort(new Error("WebSocket was closed before the connection was established"));
      return;
    }
    this.#connection!.close(code, code === undefined ? undefined : text).catch(ignore);
  }

  /** Drops the connection without a closing handshake; `close` follows with 1006. */
  terminate(): void {
    if (this.#state === CONNECTING) {
      this.#abort?.abort(new Error("WebSocket was closed before the connection was established"));
      return;
    }
    this.#connection?.terminate();
  }

  /** Holds back `message` events (and so reading: the peer meets backpressure) until `resume`. */
  pause(): void {
    this.#paused = true;
  }

  /** Lets `message` events flow again after `pause`. */
  resume(): void {
    this.#paused = false;
    const resume = this.#resume;
    this.#resume = undefined;
    resume?.();
  }

  #connect(
    address: string | URL,
    protocols: string | readonly string[] | undefined,
    options: ClientOptions,
  ): void {
    const abort = this.#abort = new AbortController();
    const headers: Record<string, string> = { ...options.headers };
    if (options.origin !== undefined) headers.origin = options.origin;
    const max = options.maxPayload;
    connect(address, {
      protocols: protocols === undefined
        ? []
        : typeof protocols === "string"
        ? [protocols]
        : protocols,
      headers,
      signal: abort.signal,
      ...(options.handshakeTimeout === undefined
        ? {}
        : { handshakeTimeout: options.handshakeTimeout }),
      ...(max === undefined ? {} : { limits: { maxMessageSize: max, maxFrameSize: max } }),
      ...(options.perMessageDeflate === false ? { perMessageDeflate: false } : {}),
    }).then((connection) => {
      this.#abort = undefined;
      this.#open(connection);
      this.#emit("open");
    }, (error: unknown) => {
      this.#abort = undefined;
      this.#state = CLOSED;
      this.#emit("error", error instanceof Error ? error : new Error(String(error)));
      this.#emit("close", 1006, Buffer.alloc(0));
    });
  }

  #open(connection: Connection): void {
    this.#connection = connection;
    this.#state = OPEN;
    if (this.#url === "") this.#url = connection.url.href;
    connection.observeControlFrames((type, data) => this.#emit(type, this.#binary(data)));
    void this.#read(connection);
  }

  async #read(connection: Connection): Promise<void> {
    for await (const message of connection) {
      if (this.#paused) await new Promise<void>((resolve) => (this.#resume = resolve));
      if (typeof message === "string") {
        this.#emit("message", this.#binary(encoder.encode(message)), false);
      } else this.#emit("message", this.#binary(message), true);
    }
    const event: CloseEvent = await connection.closed;
    connection.observeControlFrames(undefined);
    this.#state = CLOSED;
    if (event.error instanceof WebSocketError && this.listenerCount("error") > 0) {
      this.#emit("error", event.error);
    }
    this.#emit("close", event.code, Buffer.from(event.reason));
  }

  /** Emits, reporting a listener's exception as uncaught (as `ws` does) without stopping. */
  #emit(name: string, ...args: unknown[]): void {
    try {
      this.emit(name, ...args);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }

  #binary(bytes: Uint8Array): Buffer | ArrayBuffer | Buffer[] {
    switch (this.#binaryType) {
      case "arraybuffer":
        return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength &&
            bytes.buffer instanceof ArrayBuffer
          ? bytes.buffer
          : bytes.slice().buffer;
      case "fragments":
        return [Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)];
      default:
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
  }

  #openConnection(): Connection | undefined {
    if (this.#state === CONNECTING) {
      throw new Error("WebSocket is not open: readyState 0 (CONNECTING)");
    }
    return this.#state === OPEN ? this.#connection : undefined;
  }

  #afterClose(cb: SendCallback | undefined): void {
    if (cb === undefined) return;
    const state = this.readyState;
    const error = new Error(
      `WebSocket is not open: readyState ${state} (${state === CLOSING ? "CLOSING" : "CLOSED"})`,
    );
    queueMicrotask(() => cb(error));
  }
}

/**
 * Makes the `ws`-shaped socket of a connection a server accepted: it is open at once, and
 * reads as soon as the caller's turn ends (so listeners attached now see every message).
 *
 * @example
 * ```ts ignore
 * const socket = adoptConnection(connection);
 * server.emit("connection", socket, request);
 * ```
 * @param connection The accepted connection.
 * @returns Its socket.
 */
export function adoptConnection(connection: Connection): WebSocket {
  const socket = new WebSocket(null);
  adopt(socket, connection);
  return socket;
}

function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const whole = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.byteLength;
  }
  return whole;
}

/** `ws`'s `(data, mask, cb)` with either leading argument left out. */
function controlArguments(
  data: WebSocketData | SendCallback | undefined,
  mask: boolean | SendCallback | undefined,
  cb: SendCallback | undefined,
): { data: WebSocketData | undefined; cb: SendCallback | undefined } {
  if (typeof data === "function") return { data: undefined, cb: data };
  if (typeof mask === "function") return { data, cb: mask };
  return { data, cb };
}

/** A control frame's payload; rfc6455#section-5.5: at most 125 bytes, checked at once. */
function controlPayload(data: WebSocketData | undefined): Uint8Array {
  const payload = data === undefined
    ? EMPTY
    : typeof data === "string" || typeof data === "number"
    ? encoder.encode(String(data))
    : bytesOf(data);
  if (payload.byteLength > 125) {
    throw new RangeError("The data size must not be greater than 125 bytes");
  }
  return payload;
}
