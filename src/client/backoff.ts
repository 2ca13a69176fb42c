/**
 * How long a reconnecting client waits before its next attempt: exponential backoff with full
 * jitter. Pure: the failure count and the random number are arguments, so a test states them.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.2.3}
 */

/**
 * The shape of the delays between reconnection attempts.
 *
 * @example Slower growth, a 30 s ceiling
 * ```ts
 * import type { BackoffOptions } from "@wsflow/wsflow";
 * const backoff: BackoffOptions = { initialDelay: 500, factor: 1.5, maxDelay: 30_000 };
 * console.log(backoff.maxDelay); // 30000
 * ```
 */
export interface BackoffOptions {
  /**
   * The ceiling of the first delay, in milliseconds: the first retry comes within it.
   * @default {1_000}
   */
  initialDelay?: number | undefined;
  /**
   * What each further failure multiplies the ceiling by.
   * @default {2}
   */
  factor?: number | undefined;
  /**
   * The largest ceiling, in milliseconds.
   * @default {10_000}
   */
  maxDelay?: number | undefined;
  /**
   * The share of the ceiling left to chance: 1 waits anywhere from 0 to the ceiling (full
   * jitter, which spreads clients that lost the same server the most), 0 always the ceiling.
   * @default {1}
   */
  jitter?: number | undefined;
}

/**
 * The defaults of {@linkcode BackoffOptions}.
 *
 * @example
 * ```ts
 * import { DEFAULT_BACKOFF } from "@wsflow/wsflow";
 * console.log(DEFAULT_BACKOFF.maxDelay); // 10000
 * ```
 */
export const DEFAULT_BACKOFF: Readonly<Required<{ [K in keyof BackoffOptions]: number }>> = Object
  .freeze({ initialDelay: 1_000, factor: 2, maxDelay: 10_000, jitter: 1 });

/**
 * The delay before attempt number `failures + 1`, after `failures` consecutive failures:
 * `ceiling × (1 − jitter × random)` where the ceiling is `initialDelay × factor^(failures − 1)`,
 * at most `maxDelay`. rfc6455#section-7.2.3 asks clients to delay the first reconnection by a
 * random amount and to back off after further failures, so a server that comes back is not hit
 * by all its clients at once.
 *
 * @example The ceiling doubles up to 10 s; the random number picks a point below it
 * ```ts
 * import { backoffDelay } from "@wsflow/wsflow";
 * console.log(backoffDelay(1, 0.5)); // 500: the first retry comes within 1 s
 * console.log(backoffDelay(3, 0)); // 4000: jitter 1 with random 0 is the full ceiling
 * console.log(backoffDelay(20, 0)); // 10000: capped
 * ```
 * @param failures Consecutive failed attempts so far, from 1.
 * @param random A number in [0, 1), such as `Math.random()`.
 * @param options The shape of the delays.
 * @returns Milliseconds to wait, an integer.
 */
export function backoffDelay(
  failures: number,
  random: number,
  options: BackoffOptions = {},
): number {
  const initial = options.initialDelay ?? DEFAULT_BACKOFF.initialDelay;
  const factor = options.factor ?? DEFAULT_BACKOFF.factor;
  const max = options.maxDelay ?? DEFAULT_BACKOFF.maxDelay;
  const jitter = Math.min(Math.max(options.jitter ?? DEFAULT_BACKOFF.jitter, 0), 1);
  const ceiling = Math.min(max, initial * factor ** Math.max(failures - 1, 0));
  return Math.max(0, Math.round(ceiling * (1 - jitter * random)));
}
