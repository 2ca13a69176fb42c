/**
 * Heartbeat and idle timeout: finding peers that are gone, and connections nobody uses.
 *
 * @module
 */

import { CloseCode } from "../protocol/close_code.ts";
import { TimeoutError } from "../protocol/errors.ts";
import type { Session } from "../protocol/session.ts";
import type { Clock } from "./clock.ts";
import { type Deadline, type DeadlineQueue, deadlineQueue } from "./deadline_queue.ts";
import type { FrameWriter } from "./frame_writer.ts";

const HEARTBEAT = new TextEncoder().encode("wsflow-heartbeat");

/**
 * The two keep-alive timers of a connection.
 *
 * - Heartbeat: every `heartbeatInterval` it sends a Ping; when nothing at all arrived during a
 *   whole interval, not even the Pong to the last Ping, the peer is gone and `onTimeout` gets a
 *   `TimeoutError` with `timeout: "heartbeat"` (the connection drops with 1006).
 * - Idle: when no data arrived for `idleTimeout`, `onTimeout` gets a `TimeoutError` with
 *   `timeout: "idle"` (close code 1001).
 *
 * The connection reports arrivals with {@linkcode Keepalive.prototype.heard}, which costs a
 * store (and a clock read with the idle timeout on) per chunk and no timer work.
 *
 * @example
 * ```ts ignore
 * const keepalive = new Keepalive(REAL_CLOCK, session, frames, 30_000, 0, connection, (c, error) => {
 *   console.log(error.timeout); // "heartbeat" or "idle"
 * });
 * keepalive.heard(); // on every chunk from the peer
 * keepalive.stop(); // when the connection ends
 * ```
 */
export class Keepalive<Owner> {
  readonly #clock: Clock;
  readonly #session: Session;
  readonly #frames: FrameWriter;
  readonly #heartbeatInterval: number;
  readonly #idleTimeout: number;
  readonly #owner: Owner;
  readonly #onTimeout: (owner: Owner, error: TimeoutError) => void;
  // The heartbeat's next tick, in the queue every connection with the same interval shares:
  // one runtime timer for all of them, and no closure per connection.
  readonly #heartbeats: DeadlineQueue | undefined;
  #heartbeatTimer: Deadline | undefined;
  #idleTimer: unknown;
  // Whether anything arrived since the last heartbeat tick, and when the last data arrived.
  #heardSinceTick = true;
  #lastHeard: number;
  #stopped = false;
  // When the last heartbeat Ping went out, until its Pong is matched: -1 when none waits.
  #pingSentAt = -1;

  static readonly #tick = <O>(keepalive: Keepalive<O>): void => keepalive.#heartbeat();
  // Made only with the idle timeout on.
  readonly #idleCheck: (() => void) | undefined;

  /**
   * Starts the timers that are on (a value above 0).
   *
   * @param clock The connection's clock.
   * @param session Whose state decides whether the timers act, and which sends the Pings.
   * @param frames Writes the Pings at once.
   * @param heartbeatInterval Milliseconds between heartbeat pings; 0 for none.
   * @param idleTimeout Milliseconds without data before the connection is idle; 0 for none.
   * @param owner What `onTimeout` is called with.
   * @param onTimeout Ends the connection. Taking the owner as an argument lets one function
   *   serve every connection, rather than one closure each.
   */
  constructor(
    clock: Clock,
    session: Session,
    frames: FrameWriter,
    heartbeatInterval: number,
    idleTimeout: number,
    owner: Owner,
    onTimeout: (owner: Owner, error: TimeoutError) => void,
  ) {
    this.#clock = clock;
    this.#session = session;
    this.#frames = frames;
    this.#heartbeatInterval = heartbeatInterval;
    this.#idleTimeout = idleTimeout;
    this.#owner = owner;
    this.#onTimeout = onTimeout;
    // Read only by the idle timeout.
    this.#lastHeard = idleTimeout > 0 ? clock.now() : 0;
    if (heartbeatInterval > 0) {
      this.#heartbeats = deadlineQueue(clock, heartbeatInterval);
      this.#heartbeatTimer = this.#heartbeats.add(Keepalive.#tick, this);
    }
    if (idleTimeout > 0) {
      this.#idleCheck = (): void => this.#checkIdle();
      this.#idleTimer = clock.setTimeout(this.#idleCheck, idleTimeout);
    }
  }

  /** Notes that bytes arrived from the peer. */
  heard(): void {
    this.#heardSinceTick = true;
    if (this.#idleTimer !== undefined) this.#lastHeard = this.#clock.now();
  }

  /**
   * The round trip of the heartbeat, when `data` is a Pong's payload that answers its last
   * Ping; each Ping is answered once.
   *
   * @param data The Pong's application data.
   * @returns Milliseconds since that Ping was sent, or -1 when the Pong is not its answer.
   */
  roundTrip(data: Uint8Array): number {
    if (this.#pingSentAt < 0 || !isHeartbeat(data)) return -1;
    const rtt = this.#clock.now() - this.#pingSentAt;
    this.#pingSentAt = -1;
    return rtt;
  }

  /** Stops both timers for good. */
  stop(): void {
    this.#stopped = true;
    if (this.#heartbeatTimer !== undefined) this.#heartbeats!.cancel(this.#heartbeatTimer);
    if (this.#idleTimer !== undefined) this.#clock.clearTimeout(this.#idleTimer);
    this.#heartbeatTimer = undefined;
    this.#idleTimer = undefined;
  }

  #heartbeat(): void {
    this.#heartbeatTimer = undefined;
    if (this.#stopped || this.#session.readyState !== "open") return;
    if (!this.#heardSinceTick) {
      // Nothing arrived for a whole interval, not even the pong to the last heartbeat ping.
      this.#onTimeout(
        this.#owner,
        new TimeoutError(
          "heartbeat",
          `Cannot keep connection: nothing arrived for ${this.#heartbeatInterval} ms, not even a pong`,
        ),
      );
      return;
    }
    this.#heartbeatTimer = this.#heartbeats!.add(Keepalive.#tick, this);
    this.#heardSinceTick = false;
    this.#session.ping(HEARTBEAT);
    this.#pingSentAt = this.#clock.now();
    this.#frames.flush();
  }

  #checkIdle(): void {
    this.#idleTimer = undefined;
    if (this.#stopped || this.#session.readyState !== "open") return;
    const quiet = this.#clock.now() - this.#lastHeard;
    if (quiet < this.#idleTimeout) {
      this.#idleTimer = this.#clock.setTimeout(this.#idleCheck!, this.#idleTimeout - quiet);
      return;
    }
    this.#onTimeout(
      this.#owner,
      new TimeoutError(
        "idle",
        `Cannot keep connection: nothing arrived for ${this.#idleTimeout} ms`,
        CloseCode.GoingAway,
      ),
    );
  }
}

function isHeartbeat(data: Uint8Array): boolean {
  if (data.length !== HEARTBEAT.length) return false;
  for (let i = 0; i < data.length; i++) if (data[i] !== HEARTBEAT[i]) return false;
  return true;
}
