/**
 * Where a connection's time comes from: the clock its timers and round-trip times use.
 *
 * Time is an argument, not a global (STYLE.md habit 1): a connection reads the time and sets its
 * deadlines only through a {@linkcode Clock}, so a test can drive heartbeat, idle and close
 * deadlines with a fake one instead of sleeping.
 *
 * @module
 */

/**
 * A source of time and one-shot timers, shaped like the global `performance.now`,
 * `setTimeout` and `clearTimeout`.
 *
 * @example A clock that logs every timer it sets
 * ```ts
 * import { type Clock, REAL_CLOCK } from "@wsflow/wsflow";
 * const loggingClock: Clock = {
 *   now: () => REAL_CLOCK.now(),
 *   setTimeout(callback, delay) {
 *     console.log(`timer in ${delay} ms`);
 *     return REAL_CLOCK.setTimeout(callback, delay);
 *   },
 *   clearTimeout: (handle) => REAL_CLOCK.clearTimeout(handle),
 * };
 * loggingClock.clearTimeout(loggingClock.setTimeout(() => {}, 1000)); // timer in 1000 ms
 * ```
 */
export interface Clock {
  /**
   * The current time in milliseconds, from an arbitrary origin that never goes backwards.
   *
   * @returns Milliseconds.
   */
  now(): number;
  /**
   * Calls `callback` once, `delay` milliseconds from now.
   *
   * @param callback What to call.
   * @param delay Milliseconds.
   * @returns A handle for {@linkcode Clock.clearTimeout}.
   */
  setTimeout(callback: () => void, delay: number): unknown;
  /**
   * Cancels a timer that has not fired yet; a handle of a timer that already fired is ignored.
   *
   * @param handle What {@linkcode Clock.setTimeout} returned.
   */
  clearTimeout(handle: unknown): void;
}

/**
 * The clock of the running runtime: `performance.now()` and the global timers.
 *
 * @example
 * ```ts
 * import { REAL_CLOCK } from "@wsflow/wsflow";
 * const start = REAL_CLOCK.now();
 * REAL_CLOCK.setTimeout(() => console.log(REAL_CLOCK.now() - start >= 0), 1);
 * ```
 */
export const REAL_CLOCK: Clock = Object.freeze({
  now: (): number => performance.now(),
  setTimeout: (callback: () => void, delay: number): unknown => setTimeout(callback, delay),
  clearTimeout: (handle: unknown): void =>
    clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
});
