/**
 * The byte pair an adapter turns a runtime's socket into.
 *
 * @module
 */

/**
 * Network address of one end of a connection.
 *
 * @example
 * ```ts
 * import type { NetAddr } from "@wsflow/wsflow";
 * const addr: NetAddr = { hostname: "127.0.0.1", port: 8080 };
 * console.log(addr.port); // 8080
 * ```
 */
export interface NetAddr {
  /** IP address or host name. */
  hostname: string;
  /** TCP port. */
  port: number;
}

/**
 * A bidirectional byte stream: what every adapter produces for each accepted socket, and what
 * the rest of wsflow consumes. Closing `writable` ends the sending side (TCP FIN); cancelling
 * `readable` or aborting `writable` tears the socket down.
 *
 * @example An in-memory pair
 * ```ts
 * import type { ByteStream } from "@wsflow/wsflow";
 * const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
 * const stream: ByteStream = { readable, writable };
 * console.log(stream.remoteAddr); // undefined
 * ```
 */
export interface ByteStream {
  /** Bytes from the peer. */
  readable: ReadableStream<Uint8Array>;
  /**
   * Set when `readable` is a byte stream (`type: "bytes"`, as `Deno.Conn.readable` is): the
   * connection then reads it with a BYOB reader into buffers of its own, reused from one read to
   * the next while nothing it handed out still refers to them, instead of a fresh buffer per
   * read. A stream of gigabytes then leaves next to no garbage behind, where it otherwise leaves
   * its size in buffers for the garbage collector.
   * @default {false}
   */
  byob?: boolean;
  /** Bytes to the peer. */
  writable: WritableStream<Uint8Array>;
  /** The peer's address, when the transport has one. */
  remoteAddr?: NetAddr;
  /** This end's address, when the transport has one. */
  localAddr?: NetAddr;
}
