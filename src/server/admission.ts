/**
 * A server's admission control: how many sockets it holds, in all and per remote address, and
 * which WebSocket connections are open (for `Server.connections` and `Server.shutdown`).
 *
 * @module
 */

import type { NetAddr } from "../streams/byte_stream.ts";
import type { Connection } from "../streams/connection.ts";
import type { ServeOptions } from "./options.ts";

/**
 * Counts a server's sockets and holds its open connections. A socket is admitted before
 * anything is read from it and released when it is done with (refused, or its connection has
 * closed), so a client that never finishes its handshake still counts.
 *
 * @example
 * ```ts
 * import { Admission } from "./admission.ts";
 * const admission = new Admission({ maxConnections: 2, maxConnectionsPerAddress: 1 });
 * console.log(admission.admit("10.0.0.1")); // true
 * console.log(admission.admit("10.0.0.1")); // false (one per address)
 * admission.release("10.0.0.1");
 * ```
 */
export class Admission {
  /** The WebSocket connections open now. */
  readonly connections: Set<Connection> = new Set();
  /** Set by `shutdown`: handshakes that finish from now on are refused with 503. */
  shuttingDown = false;
  readonly #maxTotal: number;
  readonly #maxPerAddress: number;
  #total = 0;
  readonly #perAddress = new Map<string, number>();

  /** @param options `maxConnections` and `maxConnectionsPerAddress`. */
  constructor(options: ServeOptions) {
    this.#maxTotal = options.maxConnections ?? 65_536;
    this.#maxPerAddress = options.maxConnectionsPerAddress ?? 1024;
  }

  /**
   * Counts one more socket from `address`, unless a limit is reached.
   * @param address The remote address (`""` when the transport has none).
   * @returns `false` when the socket must be refused (503).
   */
  admit(address: string): boolean {
    const count = this.#perAddress.get(address) ?? 0;
    if (this.#total >= this.#maxTotal || count >= this.#maxPerAddress) return false;
    this.#total++;
    this.#perAddress.set(address, count + 1);
    return true;
  }

  /**
   * Counts one socket from `address` less.
   * @param address The address `admit` was given.
   */
  release(address: string): void {
    this.#total--;
    const count = (this.#perAddress.get(address) ?? 1) - 1;
    if (count === 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, count);
  }

  /**
   * A stream admitted by {@linkcode admit} is done with (refused, or its connection has
   * closed): counts it one less. The server tells this one object of every stream, so it keeps
   * nothing per stream to be told.
   * @param remoteAddr The stream's remote address; its `hostname` is what `admit` was given.
   */
  streamDone(remoteAddr: NetAddr | undefined): void {
    this.release(remoteAddr?.hostname ?? "");
  }
}
