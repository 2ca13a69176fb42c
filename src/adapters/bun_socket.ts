/**
 * Bun's sockets as byte streams: `Bun.listen` and `Bun.connect` socket handlers, TCP or TLS,
 * turned into a readable and a writable with backpressure both ways (the socket is paused while
 * the readable is full; writes wait for `drain`). Accepted and opened sockets share one bridge.
 * `bun.ts` binds them to the server and client.
 *
 * @module
 */

import type { ByteStream } from "../streams/byte_stream.ts";
import type { WriteDone } from "../streams/channel_writer.ts";
import { PushedReads } from "../streams/pushed_reads.ts";
import { ChannelByteStream, type SocketChannel } from "../streams/socket_channel.ts";
import type { ClientTlsOptions, SocketTarget } from "../client/connect.ts";
import type { ProxyEnv, SocketProxy } from "../client/proxy.ts";
import { AcceptQueue, type Listener, type ListenOptions } from "./listener.ts";
import { rootsWith } from "./root_certificates.ts";

const READ_HIGH_WATER_MARK = 65_536;

// A socket's data is its channel, set when the byte stream is made.
type SocketState = BunChannel;

type BunSocket = Bun.Socket<SocketState>;

// The socket→byte-stream bridge, shared by accepted and opened sockets: each side adds its
// own `open`. A socket whose TLS handshake failed closes before it has any state; the bridge
// ignores it, and an opener reports it.
const bridge = {
  // Plain Uint8Arrays, not Buffers: what the protocol layer hands on (a view of a Buffer would
  // be a Buffer), without making a view of each Buffer (its `buffer` getter alone was 1.5% of
  // a connect cycle).
  binaryType: "uint8array",
  data(socket: BunSocket, data: Uint8Array): void {
    // Each data event brings a fresh buffer (checked: distinct, unpooled, unchanged by later
    // reads), so the protocol layer may keep views of it.
    socket.data.received(data);
  },
  drain(socket: BunSocket): void {
    socket.data.writePending();
  },
  end(socket: BunSocket): void {
    socket.data.peerEnded();
  },
  close(socket: BunSocket, error?: Error): void {
    const state = socket.data as SocketState | undefined;
    if (state === undefined) return; // a TLS handshake that failed before `open`
    if (error) state.failed(error);
    state.peerEnded();
    state.drainedOrGone();
  },
  error(socket: BunSocket, error: Error): void {
    (socket.data as SocketState | undefined)?.failed(error);
  },
} satisfies Bun.SocketHandler<SocketState, "uint8array">;

/**
 * Listens for TCP connections with `Bun.listen`, or for TLS connections when `options.tls` is
 * given.
 *
 * @example
 * ```ts
 * import { listen } from "@wsflow/wsflow/bun";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.hostname, listener.addr.port > 0); // 127.0.0.1 true
 * await listener.close();
 * ```
 * @param options Address, port and TLS certificate.
 * @returns The listener.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  const accepted = new AcceptQueue();
  const server = Bun.listen<SocketState>({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8080,
    ...(options.tls === undefined ? {} : { tls: { cert: options.tls.cert, key: options.tls.key } }),
    socket: {
      ...bridge,
      open(socket): void {
        // No setNoDelay: Bun's listener sets TCP_NODELAY on every socket it accepts (as strace
        // shows), and a second setsockopt was a system call per connection for nothing.
        accepted.push(toByteStream(socket));
      },
    },
  });
  return Promise.resolve({
    addr: { hostname: server.hostname, port: server.port },
    close(): Promise<void> {
      server.stop(false);
      accepted.end();
      return Promise.resolve();
    },
    [Symbol.asyncIterator]: () => accepted[Symbol.asyncIterator](),
  });
}

/**
 * Opens a TCP or TLS connection with `Bun.connect` as a byte stream: the socket opener of
 * {@linkcode connect}. A TLS connection resolves once its handshake is done and the
 * certificate checked.
 *
 * @example
 * ```ts
 * import { listen, openSocket } from "@wsflow/wsflow/bun";
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
 * Through `target.proxy`, it connects to the proxy, opens the tunnel, and starts TLS over it
 * with `socket.upgradeTLS`.
 *
 * @param target Host, port, TLS options, proxy and abort signal.
 * @returns The connected socket's byte stream.
 */
export async function openSocket(target: SocketTarget): Promise<ByteStream> {
  if (target.proxy !== undefined) return await openThroughProxy(target, target.proxy);
  const { hostname, port, tls, signal } = target;
  const tlsConfig = tls === undefined ? undefined : await tlsOptions(tls);
  return await new Promise((resolve, reject) => {
    let opened: BunSocket | undefined;
    const onAbort = (): void => {
      opened?.terminate();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => signal?.removeEventListener("abort", onAbort);
    const failed = (error: unknown): void => {
      settle();
      reject(error);
    };
    const ready = (socket: BunSocket): void => {
      settle();
      if (signal?.aborted) {
        socket.terminate();
        return;
      }
      socket.setNoDelay(true);
      resolve(toByteStream(socket));
    };
    Bun.connect<SocketState>({
      hostname,
      port,
      ...(tlsConfig === undefined ? {} : { tls: tlsConfig }),
      socket: {
        ...bridge,
        open(socket): void {
          // A TLS socket is ready once `handshake` has checked the certificate.
          if (tls === undefined) ready(socket);
        },
        handshake(socket, success, authorizationError): void {
          if (success && authorizationError == null) ready(socket);
          else {
            failed(authorizationError);
            socket.terminate();
          }
        },
        // Once the stream is handed out, these reach it through the bridge, and `failed` has
        // no effect: the promise has settled.
        close(socket, error): void {
          failed(error ?? new Error("Cannot connect: the connection closed while opening"));
          bridge.close(socket, error);
        },
        error(socket, error): void {
          failed(error);
          bridge.error(socket, error);
        },
        connectError(_socket, error): void {
          failed(error);
        },
      },
    }).then((socket) => {
      opened = socket;
    }, failed);
  });
}

async function tlsOptions(
  tls: ClientTlsOptions,
): Promise<{ ca?: string | string[]; serverName?: string }> {
  return {
    ...(tls.ca === undefined
      ? await defaultCa()
      : { ca: typeof tls.ca === "string" ? tls.ca : [...tls.ca] }),
    ...(tls.serverName === undefined ? {} : { serverName: tls.serverName }),
  };
}

// The tunnel's answer is read by `proxy.open` through these handlers; once it is open the same
// socket is bridged as a plain one (ws:) or upgraded to TLS (wss:).
async function openThroughProxy(target: SocketTarget, proxy: SocketProxy): Promise<ByteStream> {
  const { hostname, tls, signal } = target;
  const chunks: (Uint8Array | null)[] = [];
  let tunnelling = true;
  let wake: (() => void) | undefined;
  const push = (chunk: Uint8Array | null): void => {
    chunks.push(chunk);
    wake?.();
  };
  const raw = await new Promise<BunSocket>((resolve, reject) => {
    Bun.connect<SocketState>({
      hostname: proxy.hostname,
      port: proxy.port,
      socket: {
        ...bridge,
        open: resolve,
        data(socket, data): void {
          if (tunnelling) push(data.slice());
          else bridge.data(socket, data);
        },
        end(socket): void {
          if (tunnelling) push(null);
          else bridge.end(socket);
        },
        close(socket, error): void {
          if (tunnelling) push(null);
          else bridge.close(socket, error);
        },
        connectError(_socket, error): void {
          reject(error);
        },
      },
    }).catch(reject);
  });
  const onAbort = (): void => raw.terminate();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await proxy.open({
      async write(bytes): Promise<void> {
        for (let at = 0; at < bytes.length; await Bun.sleep(1)) {
          const written = raw.write(bytes.subarray(at));
          if (written < 0) throw new Error("Cannot write: the socket is closed");
          at += written;
        }
      },
      async read(): Promise<Uint8Array | null> {
        while (chunks.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        return chunks.shift()!;
      },
    });
  } catch (error) {
    raw.terminate();
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  tunnelling = false;
  raw.setNoDelay(true);
  if (tls === undefined) return toByteStream(raw);
  const tlsConfig = await tlsOptions(tls);
  return await new Promise<ByteStream>((resolve, reject) => {
    const onAbort = (): void => {
      reject(signal?.reason);
      raw.terminate();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => signal?.removeEventListener("abort", onAbort);
    raw.upgradeTLS<SocketState>({
      data: undefined as unknown as SocketState,
      tls: { serverName: hostname, ...tlsConfig },
      socket: {
        ...bridge,
        handshake(socket, success, authorizationError): void {
          settle();
          if (success && authorizationError == null) resolve(toByteStream(socket));
          else {
            reject(authorizationError ?? new Error("Cannot connect: the TLS handshake failed"));
            socket.terminate();
          }
        },
        close(socket, error): void {
          settle();
          reject(error ?? new Error("Cannot connect: the connection closed while opening"));
          bridge.close(socket, error);
        },
      },
    });
  });
}

let extraCa: Promise<{ ca?: string[] }> | undefined;

/**
 * The trust a `wss:` connection gets when its options name no CA: Bun's roots, plus the PEM file
 * `NODE_EXTRA_CA_CERTS` names, as Node and Bun's own `WebSocket` and `fetch` do. `Bun.connect`
 * alone ignores that variable, and users behind corporate CAs set exactly it. Read once, as
 * Node reads it once at start; an unreadable file is reported and left out, as Node does.
 */
function defaultCa(): Promise<{ ca?: string[] }> {
  extraCa ??= (async () => {
    const file = Bun.env.NODE_EXTRA_CA_CERTS;
    if (file === undefined || file === "") return {};
    try {
      return { ca: rootsWith(await Bun.file(file).text()) };
    } catch (error) {
      console.warn(`Warning: Ignoring extra certs from \`${file}\`, load failed: ${error}`);
      return {};
    }
  })();
  return extraCa;
}

const RESOLVED: Promise<void> = Promise.resolve();

function toByteStream(socket: BunSocket): ByteStream {
  socket.data = new BunChannel(socket);
  return new ChannelByteStream(socket.data, {
    hostname: socket.remoteAddress,
    port: remotePort(socket),
  });
}

/**
 * A Bun socket as a {@linkcode SocketChannel}: what arrives is queued until read, and the
 * socket is paused while the queue holds `READ_HIGH_WATER_MARK` bytes or more (as the readable
 * it replaces did); a write the socket takes only in part keeps the rest for `drain`.
 */
// Its reads are what it extends (one object per connection for both), with itself as their
// flow: Bun's socket says nothing of whether it is paused.
class BunChannel extends PushedReads implements SocketChannel {
  readonly #socket: BunSocket;
  #paused = false;
  // What failed the socket: writes throw it; reads reject with it if it came before the end.
  #failure: Error | undefined;
  #pending: Uint8Array | undefined;
  // The writer of the write that waits for `drain`.
  #drained: WriteDone | undefined;

  constructor(socket: BunSocket) {
    super(undefined, READ_HIGH_WATER_MARK);
    this.#socket = socket;
  }

  /** JavaScriptCore makes a view of a chunk cost about three times a small array of its own. */
  get copyUpTo(): number {
    return 64;
  }

  /** A TCP or TLS socket: closing it before the peer's end loses nothing. */
  get closesAtOnce(): boolean {
    return true;
  }

  received(chunk: Uint8Array): void {
    this.push(chunk);
  }

  peerEnded(): void {
    this.pushEnd();
  }

  failed(error: Error): void {
    this.#failure = error;
    // Unread bytes are dropped, as an errored readable drops them.
    this.fail(error);
  }

  override pause(): void {
    this.#paused = true;
    this.#socket.pause();
  }

  override resume(): void {
    this.#paused = false;
    this.#socket.resume();
  }

  override isPaused(): boolean {
    return this.#paused;
  }

  writePending(): void {
    const pending = this.#pending;
    if (pending === undefined) return;
    const written = this.#socket.write(pending);
    if (written < pending.length) {
      this.#pending = pending.subarray(Math.max(written, 0));
      return;
    }
    this.#pending = undefined;
    this.drainedOrGone();
  }

  /** The write that waited for `drain` is done: drained, or the socket closed. */
  drainedOrGone(): void {
    const drained = this.#drained;
    this.#drained = undefined;
    drained?.written();
  }

  cancel(): void {
    // Once the peer has ended and everything was read, the readable this replaces was closed,
    // and cancelling it did nothing; before that, it ended the socket.
    if (!this.cancelReads()) this.#socket.end();
  }

  write(chunk: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writeThen(chunk, { written: resolve, writeFailed: reject });
    });
  }

  writeThen(chunk: Uint8Array, done: WriteDone): void {
    // Told at once when the socket took the whole chunk (its usual answer): the writer then
    // has nothing in flight, and holds no continuation for a write that is already done.
    if (this.#failure !== undefined) return done.writeFailed(this.#failure);
    const written = this.#socket.write(chunk);
    if (written === chunk.length) return done.written();
    if (written < 0) return done.writeFailed(new Error("Cannot write: the socket is closed"));
    // Keep the rest and let `drain` finish it; the channel's writer holds further writes.
    this.#pending = chunk.subarray(written);
    this.#drained = done;
  }

  end(): Promise<void> {
    this.#socket.end();
    return RESOLVED;
  }

  abort(): void {
    this.#socket.terminate();
  }
}

function remotePort(socket: BunSocket): number {
  return (socket as unknown as { remotePort?: number }).remotePort ?? 0;
}

/**
 * The proxy variables of this process's environment (`HTTPS_PROXY`, `NO_PROXY`…).
 *
 * @returns The environment.
 */
export function proxyEnv(): ProxyEnv {
  return Bun.env;
}
