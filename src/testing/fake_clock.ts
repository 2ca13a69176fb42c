/**
 * A clock for tests: time moves only when the test says so.
 *
 * @module
 */

import type { Clock } from "../streams/clock.ts";

interface FakeTimer {
  due: number;
  callback: () => void;
}

// Turns of the event loop after each timer, so what it set off (promise chains, stream writes
// and reads, flushes batched into the next macrotask) has happened before the next one fires.
const SETTLE_TURNS = 5;

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * A {@linkcode Clock} whose time stands still until {@linkcode FakeClock.prototype.advance}
 * moves it, firing the timers that fall due on the way, in order. Give it to a connection
 * (`ConnectionOptions.clock`) to test heartbeat, idle and closing deadlines in test time: a
 * 30-second heartbeat takes a few milliseconds.
 *
 * `advance` lets the event loop turn after each timer it fires, so the I/O a timer sets off
 * (a Ping written, a Close answered over an in-memory pair) is done before it returns.
 *
 * @example A timer fires when time reaches it, not before
 * ```ts
 * import { FakeClock } from "@wsflow/wsflow/testing";
 *
 * const clock = new FakeClock();
 * const fired: number[] = [];
 * clock.setTimeout(() => fired.push(clock.now()), 1_000);
 * await clock.advance(999);
 * if (fired.length !== 0) throw new Error("fired early");
 * await clock.advance(1);
 * if (fired[0] !== 1_000) throw new Error("did not fire at 1000 ms");
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #nextHandle = 1;
  readonly #timers = new Map<number, FakeTimer>();

  /**
   * Creates a clock that stands at `start` with no timers.
   *
   * @param start The time `now()` reports until the clock is advanced, in milliseconds.
   */
  constructor(start = 0) {
    this.#now = start;
  }

  /**
   * The fake time.
   *
   * @returns Milliseconds since the clock's origin.
   */
  now(): number {
    return this.#now;
  }

  /**
   * Sets a timer that fires when the clock is advanced to `delay` milliseconds from now.
   *
   * @param callback What to call.
   * @param delay Milliseconds; negative or not a number counts as 0.
   * @returns The timer's handle.
   */
  setTimeout(callback: () => void, delay: number): number {
    const handle = this.#nextHandle++;
    const wait = delay > 0 ? delay : 0;
    this.#timers.set(handle, { due: this.#now + wait, callback });
    return handle;
  }

  /**
   * Cancels a timer; an unknown or fired handle is ignored.
   *
   * @param handle What {@linkcode FakeClock.prototype.setTimeout} returned.
   */
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /**
   * Timers set and not yet fired or cancelled.
   *
   * @returns The count.
   */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves time on by `ms`, firing each timer that falls due, earliest first (timers due at the
   * same time in the order they were set), with the clock reading the timer's due time while it
   * runs. Timers set by those callbacks fire too if they fall due within `ms`. Work already
   * under way (bytes in flight, promise chains) is let run first, at the current time.
   *
   * @param ms Milliseconds to move on; 0 fires what is due now.
   * @returns A promise that settles once time has moved and the work the timers set off is
   *   done.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + (ms > 0 ? ms : 0);
    // What is already under way happens now, before time moves.
    await this.settle();
    while (true) {
      let nextHandle: number | undefined;
      let next: FakeTimer | undefined;
      // Map iteration follows insertion order, so ties go to the timer set first.
      for (const [handle, timer] of this.#timers) {
        if (timer.due <= target && (next === undefined || timer.due < next.due)) {
          nextHandle = handle;
          next = timer;
        }
      }
      if (next === undefined) break;
      this.#timers.delete(nextHandle!);
      if (next.due > this.#now) this.#now = next.due;
      next.callback();
      await this.settle();
    }
    this.#now = target;
    await this.settle();
  }

  /**
   * Lets the event loop turn a few times without moving time, so pending I/O and promise
   * chains run.
   *
   * @returns A promise that settles after the turns.
   */
  async settle(): Promise<void> {
    for (let turn = 0; turn < SETTLE_TURNS; turn++) await nextTurn();
  }
}
