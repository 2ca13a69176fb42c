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
 * wsflow's Node client (`node_ws_client.ts`). Its types are in `node_ws_options.ts`, what
 * turns `send`'s, `ping`'s and `pong`'s data into bytes in `node_ws_data.ts`.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { EventEmitter } from "node:events";
import { buildClosePayload } from "../protocol/close_payload.ts";
import { WebSocketError } from "../protocol/errors.ts";
import type { Message } from "../protocol/message.ts";
import type { CloseEvent } from "../protocol/session_events.ts";
import type { Connection } from "../streams/connection.ts";
import { connectClient } from "./node_ws_client.ts";
import { bytesOf, concat, controlArguments, controlPayload } from "./node_ws_data.ts";
import type {
  BinaryType,
  ClientOptions,
  ReadyState,
  SendCallback,
  SendOptions,
  WebSocketData,
} from "./node_ws_options.ts";

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

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
    connectClient(address, protocols, options, abort.signal).then((connection) => {
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
