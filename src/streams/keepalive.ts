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
 * What a {@linkcode Keepalive} acts through: its owner holds them, and the keepalive reaches
 * them through it rather than keeping copies of its own.
 *
 * @example
 * ```ts ignore
 * const parts: KeepaliveParts = { session, frames };
 * ```
 */
export interface KeepaliveParts {
  /** Whose state decides whether the timers act, and which sends the Pings. */
  readonly session: Session;
  /** Writes the Pings at once. */
  readonly frames: FrameWriter;
}

// What a keepalive's arguments set for its whole life, as one object for the keepalives made
// with the same ones (a server's all are): four fields fewer per connection.
interface KeepaliveSettings {
  readonly clock: Clock;
  readonly heartbeatInterval: number;
  readonly idleTimeout: number;
  // Takes the owner as an argument: one function serves every connection.
  readonly onTimeout: (owner: never, error: TimeoutError) => void;
  // The queue every connection with the same interval shares: one runtime timer for all of
  // them, and no closure per connection.
  readonly heartbeats: DeadlineQueue | undefined;
}

// The settings of the keepalive made last, given to the next one if its are the same.
let lastSettings: KeepaliveSettings | undefined;

function settingsOf(
  clock: Clock,
  heartbeatInterval: number,
  idleTimeout: number,
  onTimeout: (owner: never, error: TimeoutError) => void,
): KeepaliveSettings {
  const last = lastSettings;
  if (
    last !== undefined && last.clock === clock && last.heartbeatInterval === heartbeatInterval &&
    last.idleTimeout === idleTimeout && last.onTimeout === onTimeout
  ) return last;
  const heartbeats = heartbeatInterval > 0 ? deadlineQueue(clock, heartbeatInterval) : undefined;
  return lastSettings = { clock, heartbeatInterval, idleTimeout, onTimeout, heartbeats };
}

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
 * const keepalive = new Keepalive(REAL_CLOCK, 30_000, 0, parts, (parts, error) => {
 *   console.log(error.timeout); // "heartbeat" or "idle"
 * });
 * keepalive.heard(); // on every chunk from the peer
 * keepalive.stop(); // when the connection ends
 * ```
 */
export class Keepalive<Owner extends KeepaliveParts> {
  // Shared with the keepalives made with the same arguments (see `settingsOf`).
  readonly #settings: KeepaliveSettings;
  readonly #owner: Owner;
  // The heartbeat's next tick, in the settings' queue.
  #heartbeatTimer: Deadline | undefined;
  #idleTimer: unknown;
  // Whether anything arrived since the last heartbeat tick, and when the last data arrived.
  #heardSinceTick = true;
  #lastHeard: number;
  #stopped = false;
  // When the last heartbeat Ping went out, until its Pong is matched: -1 when none waits.
  #pingSentAt = -1;

  static readonly #tick = <O extends KeepaliveParts>(keepalive: Keepalive<O>): void =>
    keepalive.#heartbeat();
  // Made only with the idle timeout on.
  readonly #idleCheck: (() => void) | undefined;

  /**
   * Starts the timers that are on (a value above 0).
   *
   * @param clock The connection's clock.
   * @param heartbeatInterval Milliseconds between heartbeat pings; 0 for none.
   * @param idleTimeout Milliseconds without data before the connection is idle; 0 for none.
   * @param owner What `onTimeout` is called with, and whose session and frame writer the
   *   keepalive acts through.
   * @param onTimeout Ends the connection. Taking the owner as an argument lets one function
   *   serve every connection, rather than one closure each.
   */
  constructor(
    clock: Clock,
    heartbeatInterval: number,
    idleTimeout: number,
    owner: Owner,
    onTimeout: (owner: Owner, error: TimeoutError) => void,
  ) {
    const settings = this.#settings = settingsOf(
      clock,
      heartbeatInterval,
      idleTimeout,
      onTimeout as (owner: never, error: TimeoutError) => void,
    );
    this.#owner = owner;
    // Read only by the idle timeout.
    this.#lastHeard = idleTimeout > 0 ? clock.now() : 0;
    if (settings.heartbeats !== undefined) {
      this.#heartbeatTimer = settings.heartbeats.add(Keepalive.#tick, this);
    }
    if (idleTimeout > 0) {
      this.#idleCheck = (): void => this.#checkIdle();
      this.#idleTimer = clock.setTimeout(this.#idleCheck, idleTimeout);
    }
  }

  /** Notes that bytes arrived from the peer. */
  heard(): void {
    this.#heardSinceTick = true;
    if (this.#idleTimer !== undefined) this.#lastHeard = this.#settings.clock.now();
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
    const rtt = this.#settings.clock.now() - this.#pingSentAt;
    this.#pingSentAt = -1;
    return rtt;
  }

  /** Stops both timers for good. */
  stop(): void {
    this.#stopped = true;
    const settings = this.#settings;
    if (this.#heartbeatTimer !== undefined) settings.heartbeats!.cancel(this.#heartbeatTimer);
    if (this.#idleTimer !== undefined) settings.clock.clearTimeout(this.#idleTimer);
    this.#heartbeatTimer = undefined;
    this.#idleTimer = undefined;
  }

  #heartbeat(): void {
    this.#heartbeatTimer = undefined;
    const owner = this.#owner;
    if (this.#stopped || owner.session.readyState !== "open") return;
    const settings = this.#settings;
    if (!this.#heardSinceTick) {
      // Nothing arrived for a whole interval, not even the pong to the last heartbeat ping.
      (settings.onTimeout as (owner: Owner, error: TimeoutError) => void)(
        owner,
        new TimeoutError(
          "heartbeat",
          `Cannot keep connection: nothing arrived for ${settings.heartbeatInterval} ms, not even a pong`,
        ),
      );
      return;
    }
    this.#heartbeatTimer = settings.heartbeats!.add(Keepalive.#tick, this);
    this.#heardSinceTick = false;
    owner.session.ping(HEARTBEAT);
    this.#pingSentAt = settings.clock.now();
    owner.frames.flush();
  }

  #checkIdle(): void {
    this.#idleTimer = undefined;
    const owner = this.#owner;
    if (this.#stopped || owner.session.readyState !== "open") return;
    const { clock, idleTimeout } = this.#settings;
    const quiet = clock.now() - this.#lastHeard;
    if (quiet < idleTimeout) {
      this.#idleTimer = clock.setTimeout(this.#idleCheck!, idleTimeout - quiet);
      return;
    }
    (this.#settings.onTimeout as (owner: Owner, error: TimeoutError) => void)(
      owner,
      new TimeoutError(
        "idle",
        `Cannot keep connection: nothing arrived for ${idleTimeout} ms`,
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
