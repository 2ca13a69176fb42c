/**
 * The accepting side of a transport, as a server takes it: byte streams and the address they
 * arrive on, and where to listen. Every adapter's `listen` takes {@linkcode ListenOptions} and
 * returns a {@linkcode Listener}; `serveListener` serves any `Listener`.
 *
 * @module
 */

import type { ByteStream, NetAddr } from "../streams/byte_stream.ts";

/**
 * A listening socket: accepted connections as byte streams, and the address they arrive on.
 * (`StreamSource` is its former name, still exported from the main entry point.)
 *
 * @example A listener that accepts one in-memory socket, served
 * ```ts
 * import { connectWith, type Listener, serveListener } from "@wsflow/wsflow";
 * import { byteStreamPair } from "@wsflow/wsflow/testing";
 *
 * const [serverEnd, clientEnd] = byteStreamPair();
 * const listener: Listener = {
 *   addr: { hostname: "memory", port: 0 },
 *   async *[Symbol.asyncIterator]() {
 *     yield serverEnd;
 *   },
 *   close: () => Promise.resolve(),
 * };
 * const server = serveListener(listener, (ws) => ws.close(1000, "bye"));
 * const ws = await connectWith(() => Promise.resolve(clientEnd), "ws://example.com/");
 * console.log((await ws.closed).reason); // bye
 * await server.close();
 * ```
 */
export interface Listener extends AsyncIterable<ByteStream> {
  /** The bound address. */
  readonly addr: NetAddr;
  /** Stops accepting. */
  close(): Promise<void>;
}

/**
 * Where an adapter listens.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "@wsflow/wsflow";
 * const options: ListenOptions = { hostname: "127.0.0.1", port: 0 };
 * console.log(options.port); // 0
 * ```
 */
export interface ListenOptions {
  /**
   * Address to bind.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * Port to bind; 0 picks a free one (read it back from `addr`).
   * @default {8080}
   */
  port?: number;
  /**
   * Serve `wss://`: the certificate chain and its private key, both PEM text. Without it the
   * server speaks plain TCP (`ws://`).
   * @default {undefined}
   */
  tls?: { cert: string; key: string } | undefined;
}
