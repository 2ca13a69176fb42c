// A deliberately low-level WebSocket client over node:net (which Deno, Bun and Node all have),
// for tests that must send exactly the bytes they choose, including broken ones. It checks the
// server's handshake answer itself, and reads frames with the library's own parser only after
// the head, so framing tests still compare against hand-written expectations.
import { connect, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import type { Duplex } from "node:stream";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import type { Frame } from "../../src/protocol/frame.ts";
import { applyMask } from "../../src/protocol/mask.ts";

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: string;
}

export interface RawClientOptions {
  path?: string;
  headers?: Record<string, string>;
  /** Replace the whole request head (for malformed handshakes). */
  request?: string;
  /**
   * Keep this side open once the server has ended its side (`allowHalfOpen`): `ended` then
   * resolves at the server's FIN, and the client ends its side only when told to.
   */
  halfOpen?: boolean;
}

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";
export const EXPECTED_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** A raw client connection: bytes in, frames out. */
export class RawClient {
  readonly socket: Socket;
  response: RawResponse | undefined;
  readonly #frames: Frame[] = [];
  #waiters: (() => void)[] = [];
  #buffered = new Uint8Array(0);
  #headDone = false;
  // RSV1 allowed: the server may send permessage-deflate messages when a test negotiated it.
  #parser = new FrameParser({
    role: "client",
    rsv1: true,
    limits: { maxFrameSize: 1 << 30, maxMessageSize: 1 << 30, maxFragments: 1 << 20 },
  });
  #parseError: unknown;
  /** Resolves when the server closes TCP (or the socket errors). */
  readonly ended: Promise<void>;
  /** Set when TCP ended with an error (reset). */
  resetError: Error | undefined;
  // Over HTTP/2 the server's END_STREAM is its TCP close (rfc8441#section-6).
  #ended = false;

  private constructor(socket: Socket, endEvent: "close" | "end" = "close") {
    this.socket = socket;
    this.ended = new Promise((resolve) => {
      const onEnd = (): void => {
        this.#ended = true;
        this.#wake();
        resolve();
      };
      socket.once(endEvent, onEnd);
      if (endEvent !== "close") socket.once("close", onEnd);
    });
    socket.on("error", (error) => {
      this.resetError = error;
    });
    socket.on("data", (data: Buffer) => this.#onData(new Uint8Array(data)));
  }

  /**
   * A client on an HTTP/2 extended CONNECT stream that the server accepted with `status`
   * (rfc8441#section-5): frames from here on, and the server's END_STREAM counts as its TCP
   * close. The stream has every member of a socket this class uses (write, destroy, closed).
   */
  static fromHttp2Stream(stream: Duplex, status: number): RawClient {
    const client = new RawClient(stream as Socket, "end");
    client.response = { status, headers: new Map(), body: "" };
    client.#headDone = true;
    return client;
  }

  static open(port: number, host = "127.0.0.1", halfOpen = false): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, allowHalfOpen: halfOpen }, () => {
        socket.off("error", reject);
        resolve(new RawClient(socket, halfOpen ? "end" : "close"));
      });
      socket.setNoDelay(true);
      socket.once("error", reject);
    });
  }

  /**
   * Opens a TLS connection, trusting `ca`; the server's certificate must be valid for
   * `servername` (default `localhost`).
   */
  static openTls(
    port: number,
    { ca, servername = "localhost", host = "127.0.0.1" }: {
      ca: string;
      servername?: string;
      host?: string;
    },
  ): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connectTls({ port, host, ca, servername }, () => {
        socket.off("error", reject);
        resolve(new RawClient(socket));
      });
      socket.setNoDelay(true);
      socket.once("error", reject);
    });
  }

  /** Opens a connection and performs the opening handshake. */
  static async handshake(port: number, options: RawClientOptions = {}): Promise<RawClient> {
    const client = await RawClient.open(port, "127.0.0.1", options.halfOpen);
    await client.sendHandshake(options);
    return client;
  }

  async sendHandshake(options: RawClientOptions = {}): Promise<RawResponse> {
    const request = options.request ?? [
      `GET ${options.path ?? "/"} HTTP/1.1`,
      `Host: 127.0.0.1`,
      "Upgrade: websocket",
      "Connection: Upgrade",
      `Sec-WebSocket-Key: ${KEY}`,
      "Sec-WebSocket-Version: 13",
      ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      "",
      "",
    ].join("\r\n");
    this.write(new TextEncoder().encode(request));
    return await this.readResponse();
  }

  async readResponse(): Promise<RawResponse> {
    await this.#until(() => this.#headDone || this.socket.closed || this.#ended);
    if (this.response === undefined) throw new Error("Connection closed before a response");
    return this.response;
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends one frame, masked unless told otherwise. */
  sendFrame(
    opcode: number,
    payload: Uint8Array | string = new Uint8Array(0),
    options: { fin?: boolean; rsv?: number; mask?: boolean } = {},
  ): void {
    this.write(encodeFrame(opcode, payload, options));
  }

  /** The next frame from the server, or undefined when the connection ended first. */
  async nextFrame(): Promise<Frame | undefined> {
    await this.#until(() => this.#frames.length > 0 || this.socket.closed || this.#ended);
    if (this.#parseError !== undefined && this.#frames.length === 0) throw this.#parseError;
    return this.#frames.shift();
  }

  /** Reads frames until a Close frame (returned) or the end of the connection. */
  async nextClose(): Promise<{ code: number | undefined; reason: string } | undefined> {
    while (true) {
      const frame = await this.nextFrame();
      if (frame === undefined) return undefined;
      if (frame.opcode === 0x8) {
        const p = frame.payload;
        return {
          code: p.length >= 2 ? (p[0]! << 8) | p[1]! : undefined,
          reason: new TextDecoder().decode(p.subarray(2)),
        };
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: Uint8Array): void {
    if (!this.#headDone) {
      const joined = new Uint8Array(this.#buffered.length + chunk.length);
      joined.set(this.#buffered);
      joined.set(chunk, this.#buffered.length);
      const text = new TextDecoder("latin1").decode(joined);
      const end = text.indexOf("\r\n\r\n");
      if (end === -1) {
        this.#buffered = joined;
        return;
      }
      const lines = text.slice(0, end).split("\r\n");
      const status = Number(lines[0]!.split(" ")[1]);
      const headers = new Map<string, string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
      }
      const rest = joined.subarray(end + 4);
      if (status === 101) {
        this.response = { status, headers, body: "" };
        this.#headDone = true;
        chunk = rest;
      } else {
        const length = Number(headers.get("content-length") ?? "0");
        if (rest.length < length) {
          this.#buffered = joined;
          return;
        }
        const body = new TextDecoder().decode(rest.subarray(0, length));
        this.response = { status, headers, body };
        this.#headDone = true;
        this.#wake();
        return;
      }
    }
    if (chunk.length > 0 && this.#parseError === undefined) {
      try {
        this.#parser.push(chunk.slice(), (frame) => this.#frames.push(frame));
      } catch (error) {
        this.#parseError = error;
      }
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }

  async #until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

/** Encodes a client frame by hand (independently of the library's serializer). */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array | string,
  options: { fin?: boolean; rsv?: number; mask?: boolean } = {},
): Uint8Array {
  const data = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
  const mask = options.mask ?? true;
  const length = data.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const out = new Uint8Array(2 + extended + (mask ? 4 : 0) + length);
  out[0] = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  out[1] = (mask ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  const view = new DataView(out.buffer);
  if (extended === 2) view.setUint16(2, length);
  if (extended === 8) view.setBigUint64(2, BigInt(length));
  let offset = 2 + extended;
  if (mask) {
    const key = crypto.getRandomValues(new Uint8Array(4));
    out.set(key, offset);
    offset += 4;
    out.set(data, offset);
    applyMask(out.subarray(offset), key);
  } else {
    out.set(data, offset);
  }
  return out;
}
