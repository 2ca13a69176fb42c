/**
 * What a connection keeps for its observer beyond the plain calls: which end started the end,
 * the close code this end sent, and which Pong answered the heartbeat's Ping. Made only for a
 * connection with an observer, so one without carries none of it.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.5}
 */

import type { CloseEvent } from "../protocol/session_events.ts";
import type {
  CloseInitiator,
  ConnectionObserver,
  ObservedConnection,
} from "./connection_observer.ts";

/**
 * Where heartbeat round trips come from (a connection's keep-alive timers).
 *
 * @example
 * ```ts ignore
 * const heartbeat: HeartbeatRoundTrip = keepalive;
 * console.log(heartbeat.roundTrip(pongData)); // -1 unless it answers the heartbeat
 * ```
 */
export interface HeartbeatRoundTrip {
  /** The round trip, in milliseconds, when `data` answers the heartbeat's Ping; else -1. */
  roundTrip(data: Uint8Array): number;
}

/**
 * The observer bookkeeping of one connection.
 *
 * The connection says who started the end at each point where it can start (the first Close
 * frame either way, a failure, a timer, `terminate()`, the transport vanishing); the first one
 * told wins. When the connection ends, the observer is told the initiator's code: after a clean
 * close this end started, the event holds the peer's echo, so the code this end sent counts.
 *
 * @example
 * ```ts ignore
 * const bookkeeping = new ObserverBookkeeping(observer, connection, "server", keepalive);
 * bookkeeping.sentClose(1000); // close(1000)
 * bookkeeping.closed({ code: 1000, reason: "", wasClean: true }); // observer.closed(…, 1000, "server", …)
 * ```
 */
export class ObserverBookkeeping {
  readonly #observer: ConnectionObserver;
  readonly #connection: ObservedConnection;
  readonly #role: CloseInitiator;
  readonly #heartbeat: HeartbeatRoundTrip | undefined;
  #initiator: CloseInitiator | undefined;
  #sentCode: number | undefined;

  /**
   * Creates the instance.
   *
   * @param observer The connection's observer.
   * @param connection What the observer is told about.
   * @param role This end's role.
   * @param heartbeat The keep-alive timers, when the heartbeat may be on.
   */
  constructor(
    observer: ConnectionObserver,
    connection: ObservedConnection,
    role: CloseInitiator,
    heartbeat: HeartbeatRoundTrip | undefined,
  ) {
    this.#observer = observer;
    this.#connection = connection;
    this.#role = role;
    this.#heartbeat = heartbeat;
  }

  /** This end started the end (unless the peer already had). */
  ownEnd(): void {
    this.#initiator ??= this.#role;
  }

  /** The peer started the end (unless this end already had). */
  peerEnd(): void {
    this.#initiator ??= this.#peer();
  }

  /**
   * This end sent its Close frame first.
   *
   * @param code Its code: 1005 for a Close frame without one.
   */
  sentClose(code: number): void {
    this.#initiator ??= this.#role;
    this.#sentCode = code;
  }

  /**
   * A Pong arrived: when it answers the heartbeat's Ping, its round trip is observed.
   *
   * @param data Its application data.
   */
  pong(data: Uint8Array): void {
    const rtt = this.#heartbeat?.roundTrip(data) ?? -1;
    if (rtt >= 0) this.#observer.roundTrip(this.#connection, rtt);
  }

  /**
   * Tells the observer how the connection ended: the initiator's code, and who it was.
   *
   * @param event What `connection.closed` resolves with.
   */
  closed(event: CloseEvent): void {
    const initiator = this.#initiator ?? this.#peer();
    // After a clean close this end started, the event holds the peer's echo: count what we sent.
    const code = initiator === this.#role && event.wasClean && this.#sentCode !== undefined
      ? this.#sentCode
      : event.code;
    this.#observer.closed(this.#connection, code, initiator, event);
  }

  #peer(): CloseInitiator {
    return this.#role === "server" ? "client" : "server";
  }
}
