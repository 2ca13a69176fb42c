/**
 * Whether a value returned by application code (a handler, a hook, a listener) is something to
 * wait for: any thenable, not only a native promise, as `await` would treat it.
 *
 * Internal (not exported from `mod.ts`).
 *
 * @module
 */

/**
 * Whether `value` has a `then` method.
 *
 * @example
 * ```ts
 * import { isThenable } from "./thenable.ts";
 * console.log(isThenable(Promise.resolve()), isThenable(undefined)); // true false
 * ```
 * @param value What the application code returned.
 * @returns `true` for a promise or any other thenable.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function";
}
