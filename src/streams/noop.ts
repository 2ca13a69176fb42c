/**
 * The do-nothing callback, for promises whose failure is already handled elsewhere.
 *
 * Streams code often starts a cancel, an abort or a write whose outcome another path reports
 * (the connection's `closed`, the caller's own promise); `.catch(noop)` says "this rejection is
 * expected and not lost" without an unhandled-rejection warning. Layer 1 is the lowest layer
 * that needs it, so it lives here and layers above import it.
 *
 * Internal (not exported from `mod.ts`).
 *
 * @module
 */

/**
 * Does nothing: the handler for a rejection that is handled elsewhere.
 *
 * @example
 * ```ts ignore
 * writer.abort().catch(noop); // the socket is torn down either way
 * ```
 */
export function noop(): void {}
