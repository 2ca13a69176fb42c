// Raw peers for permessage-deflate tests, over node:net (which Deno, Bun and Node all have): a
// client and a server that send exactly the frames a test chooses (RSV1 anywhere, corrupt
// DEFLATE data) and show every received frame with its RSV bits and wire size. Frames are read
// by a parser written here, not the library's, so RSV1 on the library's frames is observed
// rather than vetted; frames are written with raw_client.ts's hand encoder.
import { connect, createServer, type Socket } from "node:net";
import { encodeFrame } from "./raw_client.ts";
import { switchingProtocols } from "./raw_server.ts";
import { join } from "./pmd_codec.ts";
import { withTimeout } from "./with_timeout.ts";

/** One frame as it was on the wire. */
export interface WireFrame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  /** Unmasked payload. */
  payload: Uint8Array;
}

/** A data message put together from its frames. */
export interface WireMessage {
  /** 0x1 text, 0x2 binary. */
  opcode: number;
  /** RSV1 on the first frame (rfc7692#section-6). */
  compressed: boolean;
  frames: WireFrame[];
  /** The frames' payloads joined, still compressed when `compressed`. */
  payload: Uint8Array;
}

/** A Close frame's code and reason; `code` undefined for an empty Close. */
export interface WireClose {
  code: number | undefined;
  reason: string;
}

/** Splits a byte stream into frames (RFC 6455 framing, no checks beyond the lengths). */
class FrameReader {
  #buffer: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): WireFrame[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : join([this.#buffer, chunk]);
    const frames: WireFrame[] = [];
    while (true) {
      const b = this.#buffer;
      if (b.length < 2) break;
      const masked = (b[1]! & 0x80) !== 0;
      let length = b[1]! & 0x7f;
      let at = 2;
      if (length === 126) {
        if (b.length < 4) break;
        length = (b[2]! << 8) | b[3]!;
        at = 4;
      } else if (length === 127) {
        if (b.length < 10) break;
        length = Number(new DataView(b.buffer, b.byteOffset + 2, 8).getBigUint64(0));
        at = 10;
      }
      const key = masked ? b.subarray(at, at + 4) : undefined;
      if (masked) at += 4;
      if (b.length < at + length) break;
      const payload = b.slice(at, at + length);
      if (key !== undefined) { for (let i = 0; i < length; i++) payload[i]! ^= key[i & 3]!; }
      frames.push({
        fin: (b[0]! & 0x80) !== 0,
        rsv1: (b[0]! & 0x40) !== 0,
        rsv2: (b[0]! & 0x20) !== 0,
        rsv3: (b[0]! & 0x10) !== 0,
        opcode: b[0]! & 0x0f,
        masked,
        payload,
      });
      this.#buffer = b.subarray(at + length);
    }
    return frames;
  }
}

/** Frames arriving on a socket, read in order with bounded waits. */
class FrameInbox {
  readonly #frames: WireFrame[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  /** Resolves when the socket has closed. */
  readonly ended: Promise<void>;

  constructor(socket: Socket, head: Uint8Array) {
    const reader = new FrameReader();
    const take = (chunk: Uint8Array): void => {
      this.#frames.push(...reader.push(chunk));
      this.#wake();
    };
    this.ended = new Promise((resolve) => {
      socket.once("close", () => {
        this.#ended = true;
        this.#wake();
        resolve();
      });
    });
    if (head.length > 0) take(head);
    socket.on("data", (data: Uint8Array) => take(new Uint8Array(data)));
  }

  /** The next frame, or `undefined` once the connection ended without one. */
  async nextFrame(what = "a frame", ms = 5_000): Promise<WireFrame | undefined> {
    await withTimeout(
      (async () => {
        while (this.#frames.length === 0 && !this.#ended) {
          await new Promise<void>((resolve) => this.#waiters.push(resolve));
        }
      })(),
      ms,
      what,
    );
    return this.#frames.shift();
  }

  /** The next data message (Pings and Pongs skipped); throws on a Close or the end. */
  async nextMessage(what = "a message", ms = 5_000): Promise<WireMessage> {
    const frames: WireFrame[] = [];
    while (true) {
      const frame = await this.nextFrame(what, ms);
      if (frame === undefined) throw new Error(`The connection ended while waiting for ${what}`);
      if (frame.opcode === 0x9 || frame.opcode === 0xa) continue;
      if (frame.opcode === 0x8) {
        const close = readClose(frame);
        throw new Error(`A Close (${close.code} ${close.reason}) came while waiting for ${what}`);
      }
      frames.push(frame);
      if (frame.fin) break;
    }
    return {
      opcode: frames[0]!.opcode,
      compressed: frames[0]!.rsv1,
      frames,
      payload: join(frames.map((frame) => frame.payload)),
    };
  }

  /** Skips to the next Close frame; `undefined` when the connection ended without one. */
  async nextClose(what = "a Close frame", ms = 5_000): Promise<WireClose | undefined> {
    while (true) {
      const frame = await this.nextFrame(what, ms);
      if (frame === undefined) return undefined;
      if (frame.opcode === 0x8) return readClose(frame);
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter();
  }
}

function readClose(frame: WireFrame): WireClose {
  const p = frame.payload;
  return {
    code: p.length >= 2 ? (p[0]! << 8) | p[1]! : undefined,
    reason: new TextDecoder().decode(p.subarray(2)),
  };
}

/** Options of {@linkcode PmdRawClient.open}. */
export interface PmdRawClientOptions {
  path?: string;
  /** `Sec-WebSocket-Extensions` to offer; none when undefined. */
  extensions?: string | undefined;
  /** Further request header fields. */
  headers?: Record<string, string>;
}

/** A raw client: its own handshake, hand-made frames out, wire frames in. */
export class PmdRawClient extends FrameInbox {
  readonly socket: Socket;
  readonly status: number;
  readonly headers: Map<string, string>;

  private constructor(
    socket: Socket,
    status: number,
    headers: Map<string, string>,
    rest: Uint8Array,
  ) {
    super(socket, rest);
    this.socket = socket;
    this.status = status;
    this.headers = headers;
  }

  /** Connects and completes the opening handshake (a non-101 answer still returns). */
  static async open(port: number, options: PmdRawClientOptions = {}): Promise<PmdRawClient> {
    const socket = await withTimeout(
      new Promise<Socket>((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.off("error", reject);
          resolve(socket);
        });
        socket.setNoDelay(true);
        socket.once("error", reject);
      }),
      5_000,
      "the raw client connects",
    );
    socket.on("error", () => {});
    const request = [
      `GET ${options.path ?? "/"} HTTP/1.1`,
      "Host: 127.0.0.1",
      "Upgrade: websocket",
      "Connection: Upgrade",
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
      "Sec-WebSocket-Version: 13",
      ...(options.extensions === undefined
        ? []
        : [`Sec-WebSocket-Extensions: ${options.extensions}`]),
      ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      "",
      "",
    ].join("\r\n");
    const head = await withTimeout(
      new Promise<{ text: string; rest: Uint8Array }>((resolve, reject) => {
        let buffered: Uint8Array = new Uint8Array(0);
        const onData = (data: Uint8Array): void => {
          buffered = join([buffered, new Uint8Array(data)]);
          const text = new TextDecoder("latin1").decode(buffered);
          const end = text.indexOf("\r\n\r\n");
          if (end === -1) return;
          socket.off("data", onData);
          socket.off("close", onClose);
          resolve({ text: text.slice(0, end), rest: buffered.slice(end + 4) });
        };
        const onClose = (): void => reject(new Error("The server closed before answering"));
        socket.on("data", onData);
        socket.once("close", onClose);
        socket.write(request);
      }),
      5_000,
      "the server's handshake answer",
    );
    const lines = head.text.split("\r\n");
    const status = Number(lines[0]!.split(" ")[1]);
    const headers = new Map<string, string>();
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
    }
    return new PmdRawClient(socket, status, headers, head.rest);
  }

  /** Sends one masked frame; `rsv` 4 sets RSV1. */
  sendFrame(
    opcode: number,
    payload: Uint8Array | string,
    options: { fin?: boolean; rsv?: number } = {},
  ): void {
    this.socket.write(encodeFrame(opcode, payload, options));
  }

  /** Drops the TCP connection. */
  close(): void {
    this.socket.destroy();
  }
}

/** One connection accepted by {@linkcode startPmdRawServer}. */
export class PmdRawPeer extends FrameInbox {
  readonly socket: Socket;
  /** The `Sec-WebSocket-Extensions` the client offered, if any. */
  readonly offer: string | undefined;

  constructor(socket: Socket, offer: string | undefined) {
    super(socket, new Uint8Array(0));
    this.socket = socket;
    this.offer = offer;
  }

  /** Sends one unmasked frame; `rsv` 4 sets RSV1. */
  sendFrame(
    opcode: number,
    payload: Uint8Array | string,
    options: { fin?: boolean; rsv?: number } = {},
  ): void {
    this.socket.write(encodeFrame(opcode, payload, { ...options, mask: false }));
  }
}

/** A raw server answering every handshake with 101 and a chosen extensions header. */
export interface PmdRawServer {
  readonly port: number;
  /** The next accepted connection, after its 101 went out. */
  nextPeer(): Promise<PmdRawPeer>;
  close(): Promise<void>;
}

/**
 * Starts a raw server on 127.0.0.1: each request head gets a 101 whose
 * `Sec-WebSocket-Extensions` is `answer(offer)` (left out when that is undefined).
 */
export function startPmdRawServer(
  answer: (offer: string | undefined) => string | undefined,
): Promise<PmdRawServer> {
  const peers: PmdRawPeer[] = [];
  const waiters: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let head = "";
    const onData = (data: Uint8Array): void => {
      head += new TextDecoder("latin1").decode(data);
      const end = head.indexOf("\r\n\r\n");
      if (end === -1) return;
      socket.off("data", onData);
      const [line = "", ...fields] = head.slice(0, end).split("\r\n");
      const headers = new Map<string, string>();
      for (const field of fields) {
        const colon = field.indexOf(":");
        headers.set(field.slice(0, colon).trim().toLowerCase(), field.slice(colon + 1).trim());
      }
      const offer = headers.get("sec-websocket-extensions");
      const extensions = answer(offer);
      // Attach the frame reader before answering, so no frame is missed.
      const peer = new PmdRawPeer(socket, offer);
      void switchingProtocols(
        { line, headers },
        extensions === undefined ? {} : { "Sec-WebSocket-Extensions": extensions },
      ).then((response) => {
        socket.write(response);
        peers.push(peer);
        for (const waiter of waiters.splice(0)) waiter();
      });
    };
    socket.on("data", onData);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({
        port,
        nextPeer: (): Promise<PmdRawPeer> =>
          withTimeout(
            (async () => {
              while (peers.length === 0) {
                await new Promise<void>((resolve) => waiters.push(resolve));
              }
              return peers.shift()!;
            })(),
            5_000,
            "a connection to the raw server",
          ),
        close: (): Promise<void> => {
          for (const socket of sockets) socket.destroy();
          return withTimeout(
            new Promise<void>((done) => server.close(() => done())),
            5_000,
            "the raw server closes",
          );
        },
      });
    });
  });
}
