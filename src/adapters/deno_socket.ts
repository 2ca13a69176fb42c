/**
 * Deno's sockets as byte streams: TCP and TLS connections (already web streams) accepted with
 * `Deno.listen` / `Deno.listenTls` or opened with `Deno.connect` / `Deno.startTls`, read through
 * a buffer that grows only while reads fill it. `deno.ts` binds them to the server and client.
 *
 * @module
 */

import type { ByteStream } from "../streams/byte_stream.ts";
import { ChannelByteStream, READ_DONE, type SocketChannel } from "../streams/socket_channel.ts";
import type { SocketTarget } from "../client/connect.ts";
import type { ProxyEnv } from "../client/proxy.ts";
import type { Listener, ListenOptions } from "./listener.ts";

// conn.readable gives every pending read a 64 KiB buffer, so each idle connection held about
// 100 KiB. Reading with conn.read lets the buffer start small and grow only while reads fill it.
// 1 KiB holds most request heads (and 101 responses), and what a short one leaves is where the
// connection's first reads go (`readSpare`): an idle connection then holds 1 KiB, as before.
const MIN_READ = 1024;
const MAX_READ = 64 * 1024;

const RESOLVED: Promise<void> = Promise.resolve();

/**
 * A Deno connection as a {@linkcode SocketChannel}: `conn.read` into the reader's own buffer
 * (`readInto`, what a Connection uses) or into one that grows only while reads fill it (`read`,
 * for the handshake's head and a `readable` made on demand), `conn.write` until all is
 * written, `closeWrite` to end it, and closing the connection on a cancel, an abort or a failed
 * write.
 */
class ConnChannel implements SocketChannel {
  readonly #conn: Deno.Conn;
  #size = MIN_READ;
  // The part of the last read's buffer that `read` did not fill: the next `read` goes there
  // while reads are small and it holds at least half the read size, so small reads (a head in
  // pieces, small messages through `readable`) share one buffer instead of allocating one
  // each. Views already handed out cover only the bytes before it.
  #spare: Uint8Array | undefined;
  #cancelled = false;
  #closed = false;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  /** V8 unmasks 64-bit words (BigUint64Array) in about half the time of 32-bit ones. */
  get wideUnmask(): boolean {
    return true;
  }

  /** A TCP or TLS connection: closing it before the peer's end loses nothing. */
  get closesAtOnce(): boolean {
    return true;
  }

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    if (this.#cancelled) return Promise.resolve(READ_DONE);
    const size = this.#size;
    const spare = this.#spare;
    // Only while reads are small: once they have grown to the largest size, each gets a whole
    // buffer, as a smaller one would take more reads for the same bytes.
    const buffer = spare !== undefined && size < MAX_READ && spare.length >= size >> 1
      ? spare
      : new Uint8Array(size);
    this.#spare = undefined;
    return this.#conn.read(buffer).then((read): ReadableStreamReadResult<Uint8Array> => {
      if (read === null) {
        this.#spare = buffer;
        return READ_DONE;
      }
      if (read === buffer.length && size < MAX_READ) this.#size = size * 2;
      else if (read < size >> 2 && size > MIN_READ) this.#size = size >> 1;
      if (read < buffer.length) this.#spare = buffer.subarray(read);
      return { done: false, value: buffer.subarray(0, read) };
    }, (error: unknown) => {
      // A read cut short by a cancel ends, as a cancelled readable's pending read does.
      if (this.#cancelled) return READ_DONE;
      throw error;
    });
  }

  readSpare(min: number): Promise<ReadableStreamReadResult<Uint8Array>> | undefined {
    // The head's buffer, past the head: a connection's first reads (its Close, for a short one)
    // cost no allocation of their own, which on Deno costs about as much as the read.
    const spare = this.#spare;
    if (spare === undefined || spare.length < min) return undefined;
    if (this.#cancelled) return Promise.resolve(READ_DONE);
    this.#spare = undefined;
    return this.#conn.read(spare).then((read): ReadableStreamReadResult<Uint8Array> => {
      if (read === null) {
        this.#spare = spare;
        return READ_DONE;
      }
      if (read < spare.length) this.#spare = spare.subarray(read);
      return { done: false, value: spare.subarray(0, read) };
    }, (error: unknown) => {
      if (this.#cancelled) return READ_DONE;
      throw error;
    });
  }

  readInto(view: Uint8Array): Promise<ReadableStreamReadResult<Uint8Array>> {
    // The caller's own buffer (the read pump's, reused while nothing refers to it): streaming a
    // gigabyte through then leaves no gigabyte of buffers for the garbage collector. The caller
    // reads into its own buffers from now on, so what is left of the head's buffer is let go.
    this.#spare = undefined;
    if (this.#cancelled) return Promise.resolve(READ_DONE);
    return this.#conn.read(view).then((read): ReadableStreamReadResult<Uint8Array> => {
      if (read === null) return READ_DONE;
      return { done: false, value: read === view.length ? view : view.subarray(0, read) };
    }, (error: unknown) => {
      if (this.#cancelled) return READ_DONE;
      throw error;
    });
  }

  cancel(): void {
    this.#cancelled = true;
    this.#close();
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.#conn.write(chunk).then((written): Promise<void> | undefined => {
      if (written < chunk.length) return this.write(chunk.subarray(written));
      return undefined;
    }, (error: unknown) => {
      this.#close();
      throw error;
    });
  }

  end(): Promise<void> {
    // Only the sending side (a FIN), as Node's and Bun's sockets end: a read still pending (a
    // server that failed the connection reads on until the peer has closed too) then ends with
    // the peer's own close, where closing the whole connection would interrupt it with an
    // error, which costs more to build than the close itself. The connection is closed when
    // the reader is cancelled, as the closing handshake does last: at once when the server
    // had the peer's Close, as no read is pending then (rfc6455#section-7.1.1).
    if (this.#closed) return RESOLVED;
    return this.#conn.closeWrite().catch(() => this.#close());
  }

  abort(): void {
    this.#close();
  }

  #close(): void {
    // Once: closing a closed connection throws, and building that error costs more than the
    // close (a server ends its writable, then cancels its readable).
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Listens for TCP connections with `Deno.listen`, or for TLS connections with `Deno.listenTls`
 * when `options.tls` is given.
 *
 * @example
 * ```ts
 * import { listen } from "@wsflow/wsflow/deno";
 * const listener = await listen({ hostname: "127.0.0.1", port: 0 });
 * console.log(listener.addr.hostname, listener.addr.port > 0); // 127.0.0.1 true
 * await listener.close();
 * ```
 * @param options Address, port and TLS certificate.
 * @returns The listener.
 */
export function listen(options: ListenOptions = {}): Promise<Listener> {
  const address = {
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 8080,
    transport: "tcp",
  } as const;
  const listener: Deno.Listener<Deno.TcpConn | Deno.TlsConn, Deno.NetAddr> =
    options.tls === undefined
      ? Deno.listen(address)
      : Deno.listenTls({ ...address, cert: options.tls.cert, key: options.tls.key });
  const addr = listener.addr;
  let closed = false;
  async function* accept(): AsyncGenerator<ByteStream> {
    while (true) {
      let conn: Deno.TcpConn | Deno.TlsConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closed || error instanceof Deno.errors.BadResource) return;
        continue; // a connection that failed while being accepted
      }
      if ("setNoDelay" in conn) conn.setNoDelay(true);
      const remote = conn.remoteAddr;
      yield new ChannelByteStream(
        new ConnChannel(conn),
        { hostname: remote.hostname, port: remote.port },
        { hostname: addr.hostname, port: addr.port },
      );
    }
  }
  return Promise.resolve({
    addr: { hostname: addr.hostname, port: addr.port },
    close(): Promise<void> {
      if (!closed) {
        closed = true;
        listener.close();
      }
      return Promise.resolve();
    },
    [Symbol.asyncIterator]: accept,
  });
}

/**
 * Opens a TCP connection with `Deno.connect`, upgraded to TLS with `Deno.startTls` when
 * `target.tls` is given, as a byte stream: the socket opener of {@linkcode connect}. The TLS
 * handshake completes (and the certificate is checked) before it resolves. Through
 * `target.proxy`, it connects to the proxy and opens the tunnel before starting TLS.
 *
 * @example
 * ```ts
 * import { listen, openSocket } from "@wsflow/wsflow/deno";
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
 * @param target Host, port, TLS options and abort signal.
 * @returns The connected socket's byte stream.
 */
export async function openSocket(target: SocketTarget): Promise<ByteStream> {
  const { hostname, port, tls, signal, proxy } = target;
  const tcp = await Deno.connect({
    hostname: proxy?.hostname ?? hostname,
    port: proxy?.port ?? port,
    ...(signal === undefined ? {} : { signal }),
  });
  tcp.setNoDelay(true);
  if (proxy !== undefined) {
    // The tunnel first; then TLS with the origin over it, as without a proxy.
    const onAbort = (): void => tcp.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await proxy.open({
        write: async (bytes) => {
          for (let at = 0; at < bytes.length;) at += await tcp.write(bytes.subarray(at));
        },
        read: async () => {
          const buffer = new Uint8Array(MIN_READ);
          const read = await tcp.read(buffer);
          return read === null ? null : buffer.subarray(0, read);
        },
      });
    } catch (error) {
      if (!signal?.aborted) tcp.close();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
  let conn: Deno.Conn = tcp;
  if (tls !== undefined) {
    // startTls rather than connectTls: its hostname is the name checked, which may differ from
    // the address connected to.
    const secure = await Deno.startTls(tcp, {
      hostname: tls.serverName ?? hostname,
      ...(tls.ca === undefined
        ? {}
        : { caCerts: typeof tls.ca === "string" ? [tls.ca] : [...tls.ca] }),
    }).catch((error: unknown) => {
      tcp.close();
      throw error;
    });
    conn = secure;
    const onAbort = (): void => secure.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await secure.handshake();
    } catch (error) {
      if (!signal?.aborted) secure.close();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
  const remote = tcp.remoteAddr;
  const local = tcp.localAddr;
  return new ChannelByteStream(
    new ConnChannel(conn),
    { hostname: remote.hostname, port: remote.port },
    { hostname: local.hostname, port: local.port },
  );
}

const PROXY_VARIABLES = [
  "HTTPS_PROXY",
  "https_proxy",
  "HTTP_PROXY",
  "http_proxy",
  "NO_PROXY",
  "no_proxy",
] as const;

/**
 * The proxy variables of this process's environment (`HTTPS_PROXY`, `NO_PROXY`…): those that
 * `--allow-env` lets it read; the others count as unset.
 *
 * @returns The environment.
 */
export function proxyEnv(): ProxyEnv {
  const env: Record<string, string | undefined> = {};
  for (const name of PROXY_VARIABLES) {
    try {
      env[name] = Deno.env.get(name);
    } catch {
      // not allowed: as if unset
    }
  }
  return env;
}
