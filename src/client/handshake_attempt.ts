/**
 * One connection attempt's deadline and cancellation, the same for an HTTP/1.1 handshake and an
 * HTTP/2 extended CONNECT: one signal for both ways it ends early (the caller's abort and the
 * handshake timeout), and one rule for what a failure is reported as.
 *
 * @module
 */

import { HandshakeError } from "../protocol/errors.ts";
import { noop } from "../streams/noop.ts";

/** A connection attempt in progress. */
export interface HandshakeAttempt {
  /** Aborted by the caller's signal or the timeout, with the reason to report. */
  readonly signal: AbortSignal;
  /** Rejects with that reason once the attempt is aborted; never resolves. */
  readonly ended: Promise<never>;
  /**
   * What a failure is reported as: the abort reason once aborted, a `HandshakeError` as it is,
   * anything else wrapped in a `HandshakeError` naming the endpoint.
   */
  failure(error: unknown): unknown;
  /** Stops the timer and the listener on the caller's signal. */
  finish(): void;
}

/**
 * Starts an attempt that times out after `timeout` ms with `timedOut`.
 *
 * @example
 * ```ts ignore
 * const attempt = startHandshakeAttempt(undefined, 10_000, "ws://example.com/", "no answer");
 * try {
 *   await Promise.race([open(attempt.signal), attempt.ended]);
 * } catch (error) {
 *   throw attempt.failure(error);
 * } finally {
 *   attempt.finish();
 * }
 * ```
 * @param signal The caller's abort signal, if any (already checked not to be aborted).
 * @param timeout The handshake timeout in ms.
 * @param endpoint The endpoint as error messages name it (no query or credentials).
 * @param timedOut The message of the timeout's `HandshakeError`.
 * @returns The attempt.
 */
export function startHandshakeAttempt(
  signal: AbortSignal | undefined,
  timeout: number,
  endpoint: string,
  timedOut: string,
): HandshakeAttempt {
  const attempt = new AbortController();
  const timer = setTimeout(() => attempt.abort(new HandshakeError(timedOut, 0)), timeout);
  const onAbort = (): void => attempt.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const ended = new Promise<never>((_, reject) => {
    attempt.signal.addEventListener("abort", () => reject(attempt.signal.reason), { once: true });
  });
  ended.catch(noop);
  return {
    signal: attempt.signal,
    ended,
    failure(error: unknown): unknown {
      if (attempt.signal.aborted) return attempt.signal.reason;
      if (error instanceof HandshakeError) return error;
      const detail = error instanceof Error ? error.message : String(error);
      return new HandshakeError(`Cannot connect to ${endpoint}: ${detail}`, 0, undefined, {
        cause: error,
      });
    },
    finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    },
  };
}
