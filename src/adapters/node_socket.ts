/**
 * Node's sockets as byte streams: `node:net` and `node:tls` servers (`listen`) and
 * connections (`openSocket`), through one bridge (`socketToByteStream`) that keeps
 * backpressure both ways (the socket is paused while the readable is full; writes wait for
 * `drain`) and hands on plain `Uint8Array` views rather than `Buffer`s. The same bridge serves
 * accepted sockets, the client's, and sockets taken over from `node:http` (`node_http.ts`). It
 * is as fast as `Duplex.toWeb`, and its writes settle only once the socket is done with the
 * bytes, which lets a connection reuse its output buffer.
 *
 * `node.ts` binds these to the server and client. They have a file of their own so that
 * `node.ts` and `node_http.ts` can both use the bridge without importing each other (the layer
 * check rejects import cycles).
 *
 * @module
 */

import { connect as netConnect, createServer, isIP, type Socket } from "node:net";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import type { Duplex } from "node:stream";
import type { ByteStream, NetAddr } from "../streams/byte_stream.ts";
import { PushedReads } from "../streams/pushed_reads.ts";
import type { WriteDone } from "../streams/channel_writer.ts";
import { ChannelByteStream, type SocketChannel } from "../streams/socket_channel.ts";
import type { SocketTarget } from "../client/connect.ts";
import type { ProxyEnv, TunnelIo } from "../client/proxy.ts";
import process from "node:process";
import { AcceptQueue, type Listener, type ListenOptions } from "./listener.ts";
// Node's adapter family publishes diagnostics events on node:diagnostics_channel too.
import "./node_diagnostics.ts";

const READ_HIGH_WATER_MARK = 65_536;

/**
 * Turns a connected `node:net` (or `node:tls`) socket into a byte stream.
 *
 * @example
 * ```ts
 * import { connect } from "node:net";
 * import { listen, socketToByteStream } from "@wsflow/wsflow/node";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * const stream = socketToByteStream(connect(listener.addr.port, "127.0.0.1"));
 * for await (const accepted of listener) {
 *   await accepted.writable.getWriter().write(new TextEncoder().encode("hi"));
 *   break;
 * }
 * const reader = stream.readable.getReader();
 * console.log(new TextDecoder().decode((await reader.read()).value)); // hi
 * await reader.cancel();
 * await listener.close();
 * ```
 * @param socket The socket.
 * @returns Its byte stream.
 */
export function socketToByteStream(socket: Socket): ByteStream {
  return new ChannelByteStream(new DuplexChannel(socket, undefined), {
    hostname: socket.remoteAddress ?? "",
    port: socket.remotePort ?? 0,
  });
}

/**
 * The bridge behind {@linkcode socketToByteStream}, for any `Duplex` with a socket's events:
 * an HTTP/2 stream too (`node_http2.ts`), whose flow control then is the byte stream's
 * backpressure. Closing the writable ends the duplex (`end()`: a TCP FIN, or END_STREAM);
 * cancelling the readable or aborting the writable calls `reset` (a TCP RST, or RST_STREAM,
 * rfc8441#section-6).
 *
 * @example
 * ```ts ignore
 * const stream = duplexToByteStream(h2stream, () => h2stream.close(NGHTTP2_CANCEL), addr);
 * ```
 * @param socket The duplex.
 * @param reset Tears it down at once.
 * @param remoteAddr The peer's address.
 * @returns Its byte stream.
 */
export function duplexToByteStream(
  socket: Duplex,
  reset: () => void,
  remoteAddr: NetAddr,
): ByteStream {
  return new ChannelByteStream(new DuplexChannel(socket, reset), remoteAddr);
}

// The channel of a socket, kept on the socket, so that its listeners are shared functions and
// not closures made for each connection.
const CHANNEL = Symbol("wsflow.channel");
type ChannelSocket = Duplex & { [CHANNEL]: DuplexChannel };

function onData(this: ChannelSocket, data: Buffer): void {
  this[CHANNEL].data(data);
}

function onEnd(this: ChannelSocket): void {
  this[CHANNEL].ended(false);
}

function onClose(this: ChannelSocket): void {
  // After "end" (the usual order) this changes nothing; before it, the connection was reset.
  this[CHANNEL].ended(true);
}

function onError(): void {
  // reported through "close"
}

/**
 * A `Duplex` as a {@linkcode SocketChannel}: what arrives is queued until read, and the socket
 * is paused while the queue holds `READ_HIGH_WATER_MARK` bytes or more (as the readable it
 * replaces did); a write settles once the socket is done with the bytes and, under
 * backpressure, not before it drains.
 */
// Its reads are what it extends (one object per connection for both); the socket is their flow
// (pause(), resume(), isPaused()), reached through the channel's own field rather than a second.
class DuplexChannel extends PushedReads implements SocketChannel {
  readonly #socket: ChannelSocket;
  // Tears the duplex down; a socket's `destroy()` when not given.
  readonly #reset: (() => void) | undefined;

  constructor(socket: Duplex, reset: (() => void) | undefined) {
    super(undefined, READ_HIGH_WATER_MARK);
    this.#socket = socket as ChannelSocket;
    this.#reset = reset;
    this.#socket[CHANNEL] = this;
    socket.on("data", onData);
    socket.on("end", onEnd);
    socket.on("close", onClose);
    socket.on("error", onError);
  }

  override pause(): unknown {
    return this.#socket.pause();
  }

  override resume(): unknown {
    return this.#socket.resume();
  }

  override isPaused(): boolean {
    return this.#socket.isPaused();
  }

  /** V8 unmasks 64-bit words (BigUint64Array) in about half the time of 32-bit ones. */
  get wideUnmask(): boolean {
    return true;
  }

  /**
   * A socket may be closed before the peer's end; an HTTP/2 stream may not (`reset` is given:
   * closing it first resets it, rfc8441#section-6).
   */
  get closesAtOnce(): boolean {
    return this.#reset === undefined;
  }

  data(data: Buffer): void {
    // An HTTP/2 stream's reset is sent, not done, when `reset` returns: DATA may follow (and
    // is dropped: the reads have ended).
    this.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  ended(reset: boolean): void {
    if (this.readsEnded) return;
    // A reset drops what was not read yet, as an errored readable does.
    if (reset) this.fail(new Error("Cannot read: the connection was reset"));
    else this.pushEnd();
  }

  cancel(): void {
    // Once the peer has ended and everything was read, the readable this replaces was closed,
    // and cancelling it did nothing; before that, it tore the socket down.
    if (!this.cancelReads()) this.abort();
  }

  write(chunk: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writeThen(chunk, { written: resolve, writeFailed: reject });
    });
  }

  writeThen(chunk: Uint8Array, done: WriteDone): void {
    const socket = this.#socket;
    if (socket.destroyed) {
      queueMicrotask(() => done.writeFailed(new Error("Cannot write: the socket is closed")));
      return;
    }
    // Done when the socket is done with the chunk (the caller may then reuse its memory) and,
    // under backpressure, not before it drains; told once, whichever of the two ends it.
    let told = false;
    let written = false;
    let drained = socket.write(chunk, (error) => {
      written = true;
      if (told) return;
      if (error) {
        told = true;
        done.writeFailed(error);
      } else if (drained) {
        told = true;
        done.written();
      }
    });
    if (drained) return;
    const onDrain = (): void => {
      socket.off("drain", onDrain);
      socket.off("close", onDrain);
      drained = true;
      if (!told && (written || socket.destroyed)) {
        told = true;
        done.written();
      }
    };
    // A socket that closes while full never drains; its writes end here.
    socket.on("drain", onDrain);
    socket.on("close", onDrain);
  }

  end(): Promise<void> {
    return new Promise((resolve) => this.#socket.end(resolve));
  }

  abort(): void {
    if (this.#reset === undefined) this.#socket.destroy();
    else this.#reset();
  }
}

/**
 * Listens for TCP connections with `node:net`, or for TLS connections with `node:tls` when
 * `options.tls` is given.
 *
 * @example
 * ```ts
 * import { listen } from "@wsflow/wsflow/node";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.hostname, listener.addr.port > 0); // 127.0.0.1 true
 * await listener.close();
 * ```
 * @param options Address, port and TLS certificate.
 * @returns The listener.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  const accepted = new AcceptQueue();
  const onSocket = (socket: Socket): void => {
    accepted.push(socketToByteStream(socket));
  };
  // A TLSSocket is a net.Socket: the same bridge serves both.
  const server = options.tls === undefined
    ? createServer({ noDelay: true }, onSocket)
    : createTlsServer({ noDelay: true, cert: options.tls.cert, key: options.tls.key }, onSocket);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, options.hostname ?? "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address();
      const addr = typeof address === "object" && address !== null
        ? { hostname: address.address, port: address.port }
        : { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 8080 };
      resolve({
        addr,
        close(): Promise<void> {
          // server.close's callback waits for every open connection; stopping to accept is
          // all this promises.
          accepted.end();
          server.close();
          return Promise.resolve();
        },
        [Symbol.asyncIterator]: () => accepted[Symbol.asyncIterator](),
      });
    });
  });
}

/**
 * Opens a TCP connection with `node:net`, or a TLS one with `node:tls` when `target.tls` is
 * given, as a byte stream: the socket opener of {@linkcode connect}. Through `target.proxy`, it
 * connects to the proxy, opens the tunnel, and starts TLS over it (`tls.connect({ socket })`).
 *
 * @example
 * ```ts
 * import { listen, openSocket } from "@wsflow/wsflow/node";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * const accepting = listener[Symbol.asyncIterator]().next();
 * const stream = await openSocket({ hostname: "127.0.0.1", port: listener.addr.port });
 * const { value: accepted } = await accepting;
 * await stream.writable.getWriter().write(new TextEncoder().encode("hi"));
 * const reader = accepted!.readable.getReader();
 * const { value } = await reader.read();
 * console.log(new TextDecoder().decode(value)); // hi
 * await reader.cancel();
 * await stream.readable.cancel();
 * await listener.close();
 * ```
 * @param target Host, port, TLS options, proxy and abort signal.
 * @returns The connected socket's byte stream.
 */
export async function openSocket(target: SocketTarget): Promise<ByteStream> {
  const { hostname: host, port, tls, signal, proxy } = target;
  const tlsOptions = tls === undefined ? undefined : {
    ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    ...(tls.serverName === undefined ? {} : { servername: tls.serverName }),
  };
  if (proxy === undefined) {
    const socket = tlsOptions === undefined
      ? netConnect({ host, port })
      : tlsConnect({ host, port, ...tlsOptions });
    // A TLS socket is ready once its handshake is done and the certificate checked.
    return socketToByteStream(await ready(socket, tls ? "secureConnect" : "connect", signal));
  }
  const raw = await ready(
    netConnect({ host: proxy.hostname, port: proxy.port }),
    "connect",
    signal,
  );
  const io = tunnelIo(raw);
  const onAbort = (): void => void raw.destroy();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await proxy.open(io);
  } catch (error) {
    raw.destroy();
    throw error;
  } finally {
    io.detach();
    signal?.removeEventListener("abort", onAbort);
  }
  if (tlsOptions === undefined) return socketToByteStream(raw);
  // The certificate is checked against `host`; SNI is not sent for an IP address.
  const secure = tlsConnect({
    socket: raw,
    host,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...tlsOptions,
  });
  return socketToByteStream(await ready(secure, "secureConnect", signal));
}

function ready(socket: Socket, event: string, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => {
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => fail(signal?.reason);
    if (signal?.aborted) return onAbort();
    socket.once("error", fail);
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once(event, () => {
      socket.off("error", fail);
      signal?.removeEventListener("abort", onAbort);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

// Reads the proxy's answer chunk by chunk, the socket paused between reads, so that once
// `detach` has removed the listeners nothing is lost before the bridge (or TLS) takes over.
function tunnelIo(socket: Socket): TunnelIo & { detach(): void } {
  const chunks: (Uint8Array | null)[] = [];
  let wake: (() => void) | undefined;
  const push = (chunk: Uint8Array | null): void => {
    chunks.push(chunk);
    wake?.();
  };
  const onData = (data: Buffer): void => {
    socket.pause();
    push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  };
  const onEnd = (): void => push(null);
  socket.pause();
  socket.on("data", onData);
  socket.on("end", onEnd);
  socket.on("close", onEnd);
  return {
    write: (bytes) =>
      new Promise((resolve, reject) => socket.write(bytes, (e) => (e ? reject(e) : resolve()))),
    async read(): Promise<Uint8Array | null> {
      while (chunks.length === 0) {
        socket.resume();
        await new Promise<void>((resolve) => (wake = resolve));
      }
      return chunks.shift()!;
    },
    detach(): void {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
    },
  };
}

/**
 * The proxy variables of this process's environment (`HTTPS_PROXY`, `NO_PROXY`…), read at
 * each call as Node keeps them.
 *
 * @returns The environment.
 */
export function proxyEnv(): ProxyEnv {
  return process.env;
}
