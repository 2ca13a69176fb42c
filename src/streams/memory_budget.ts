/**
 * A shared budget of bytes, for limits that span connections.
 *
 * @module
 */

/**
 * Counts bytes held across many connections against one limit. The server uses one for the
 * bytes held in messages that have not fully arrived, so many slow or hostile peers together
 * cannot make it hold more than the budget: past it, the connection that would overdraw it is
 * closed with 1013 (try again later).
 *
 * @example
 * ```ts
 * import { MemoryBudget } from "@wsflow/wsflow";
 * const budget = new MemoryBudget(1024);
 * console.log(budget.adjust(1000), budget.adjust(100), budget.used); // true false 1000
 * ```
 */
export class MemoryBudget {
  /** The most bytes the budget allows. */
  readonly limit: number;
  #used = 0;

  /**
   * Creates a budget.
   *
   * @param limit The most bytes it allows.
   */
  constructor(limit: number) {
    if (!(limit > 0)) throw new RangeError(`Cannot create budget: ${limit} is not positive`);
    this.limit = limit;
  }

  /**
   * Bytes counted now.
   *
   * @returns The count.
   */
  get used(): number {
    return this.#used;
  }

  /**
   * Adds `delta` bytes (negative to give bytes back). An increase that would pass the limit is
   * refused and not counted.
   *
   * @param delta The change.
   * @returns `false` when an increase was refused.
   */
  adjust(delta: number): boolean {
    if (delta > 0 && this.#used + delta > this.limit) return false;
    this.#used += delta;
    return true;
  }
}

/**
 * The process-wide budget for bytes held in messages that have not fully arrived, shared by
 * every server that is not given its own: 256 MiB, sixteen messages at the default 16 MiB
 * message limit.
 *
 * @example
 * ```ts
 * import { PARTIAL_MESSAGE_BUDGET } from "@wsflow/wsflow";
 * console.log(PARTIAL_MESSAGE_BUDGET.limit); // 268435456
 * ```
 */
export const PARTIAL_MESSAGE_BUDGET: MemoryBudget = new MemoryBudget(256 * 1024 * 1024);
