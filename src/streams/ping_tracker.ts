/**
 * Pings sent by `Connection.ping` that wait for their Pong, and their round-trip times.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.3}
 */

import type { Clock } from "./clock.ts";

interface PendingPing {
  data: Uint8Array;
  start: number;
  resolve: (rtt: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Matches Pongs to the Pings that asked for them. A connection makes one on its first `ping()`
 * call, so connections that never ping carry none.
 *
 * @example
 * ```ts ignore
 * const pings = new PingTracker(REAL_CLOCK);
 * const payload = pings.nextPayload();
 * const rtt = pings.track(payload); // after session.ping(payload)
 * pings.settle(payload); // when the Pong arrives
 * console.log(await rtt);
 * ```
 */
export class PingTracker {
  readonly #clock: Clock;
  #pings: PendingPing[] = [];
  #counter = 0;

  /**
   * Creates the instance.
   *
   * @param clock Where round-trip times are measured.
   */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * A payload no earlier Ping of this connection used: a sequence number.
   *
   * @returns The bytes.
   */
  nextPayload(): Uint8Array {
    return new TextEncoder().encode(`wsflow-${++this.#counter}`);
  }

  /**
   * Waits for the Pong to a Ping just sent with `data`.
   *
   * @param data The Ping's application data (kept: do not change it).
   * @returns The round-trip time in milliseconds.
   */
  track(data: Uint8Array): Promise<number> {
    let resolve!: (rtt: number) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<number>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#pings.push({ data, start: this.#clock.now(), resolve, reject });
    return promise;
  }

  /**
   * Settles the Ping a Pong answers, and every Ping sent before it.
   *
   * @param data The Pong's application data.
   */
  settle(data: Uint8Array): void {
    const index = this.#pings.findIndex((ping) => sameBytes(ping.data, data));
    if (index === -1) return;
    // rfc6455#section-5.5.3: a peer may answer only the most recent of several Pings, so a
    // Pong also settles the Pings sent before the one it answers.
    const now = this.#clock.now();
    for (const ping of this.#pings.splice(0, index + 1)) ping.resolve(now - ping.start);
  }

  /**
   * Fails every Ping still waiting: the connection ended.
   *
   * @param error What they reject with.
   */
  rejectAll(error: unknown): void {
    const pings = this.#pings;
    this.#pings = [];
    for (const ping of pings) ping.reject(error);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
