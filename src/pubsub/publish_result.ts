/**
 * What a publish did, subscriber by subscriber counted.
 *
 * @module
 */

/**
 * What {@linkcode Topics.prototype.publish} did with one message. Each local subscriber is
 * counted once in `queued`, `dropped`, `evicted` or `closed`; the sender named in `except` in
 * none of them.
 *
 * Why counts rather than Bun's single number: Bun's `publish` returns bytes sent, 0 for
 * "dropped" and -1 for "backpressure", and since a publish reaches many sockets it can only
 * report one of them (today the worst): a message that reached 999 subscribers and was dropped
 * for one reads like a failure, and one dropped by every subscriber used to read like a success.
 *
 * @example
 * ```ts
 * import { Topics } from "@wsflow/wsflow";
 * const result = new Topics().publish("news", "hello");
 * console.log(result);
 * // { subscribers: 0, queued: 0, dropped: 0, evicted: 0, closed: 0, fanOut: "none" }
 * ```
 */
export interface PublishResult {
  /** Local subscribers the message was meant for (the `except` connection not counted). */
  subscribers: number;
  /**
   * Subscribers whose connection took the frame: it is queued for their socket, to be written
   * with everything published in this turn of the event loop. Not a proof of receipt.
   */
  queued: number;
  /**
   * Subscribers that missed it: more than their `sendBuffer.limit` was waiting to be written
   * (policy `"drop"`, or `"wait"`, since a publish never waits). Counted in their
   * `droppedMessages`.
   */
  dropped: number;
  /**
   * Subscribers that missed it and were closed with 1008 for falling behind (policy
   * `"close"`).
   */
  evicted: number;
  /** Subscribers already closing or closed (they leave their topics once closed). */
  closed: number;
  /**
   * Whether the message went to other processes: `"sent"` (handed to the fan-out backend),
   * `"unavailable"` (the backend is unreachable, so other processes will not get it) or
   * `"none"` (the registry has no fan-out: this process only).
   */
  fanOut: "sent" | "unavailable" | "none";
}
