/**
 * Whether a reconnecting client tries again, by what ended its last attempt, and how long a
 * server's `Retry-After` asks it to wait. Pure: the time is an argument.
 *
 * The default policy retries what time can mend (a connection lost, a server restarting or
 * overloaded, a refused or timed-out socket) and gives up on what it cannot (a policy or
 * protocol violation, a message too big, a handshake the server refuses for good): retrying
 * those only repeats the failure, and hammers the server while doing it.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.4.1}
 * @see {@link https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3}
 */

import { HandshakeError } from "../protocol/errors.ts";

/**
 * What ended an attempt or a connection: a Close (or a connection lost, 1006, after it had
 * opened), a handshake the server answered with another status than 101, a socket that could
 * not be opened or failed before the answer (`status` 0), or any other error (a bad URL or
 * header, an exception in the `onOpen` hook).
 *
 * @example
 * ```ts
 * import type { ReconnectCause } from "@wsflow/wsflow";
 * const cause: ReconnectCause = { kind: "close", code: 1012, reason: "restarting" };
 * console.log(cause.kind); // "close"
 * ```
 */
export type ReconnectCause =
  | { kind: "close"; code: number; reason: string }
  | { kind: "handshake"; status: number; headers: Headers; error: HandshakeError }
  | { kind: "network"; error: unknown }
  | { kind: "error"; error: unknown };

/**
 * Close codes after which reconnecting may help: going away (1001), connection lost (1006),
 * server error (1011), service restart (1012), try again later (1013), bad gateway (1014).
 *
 * @example
 * ```ts
 * import { RETRYABLE_CLOSE_CODES } from "@wsflow/wsflow";
 * console.log(RETRYABLE_CLOSE_CODES.includes(1012)); // true
 * ```
 */
export const RETRYABLE_CLOSE_CODES: readonly number[] = Object.freeze([
  1001,
  1006,
  1011,
  1012,
  1013,
  1014,
]);

/**
 * Handshake statuses after which reconnecting may help: too many requests (429), and a server
 * or gateway in trouble (500, 502, 503, 504).
 *
 * @example
 * ```ts
 * import { RETRYABLE_STATUSES } from "@wsflow/wsflow";
 * console.log(RETRYABLE_STATUSES.includes(503)); // true
 * ```
 */
export const RETRYABLE_STATUSES: readonly number[] = Object.freeze([429, 500, 502, 503, 504]);

/**
 * The default retry policy: `true` after a Close with a code of {@linkcode RETRYABLE_CLOSE_CODES},
 * a handshake answered with a status of {@linkcode RETRYABLE_STATUSES}, or a socket that could
 * not be opened or broke during the handshake; `false` otherwise: after a Close with 1000, 1002,
 * 1003, 1005, 1007, 1008, 1009, 1010 or an application's code, after any other status (a 4xx
 * is the client's fault and stays so; a proxy's 407 needs other credentials), and after other
 * errors.
 *
 * @example
 * ```ts
 * import { shouldReconnect } from "@wsflow/wsflow";
 * console.log(shouldReconnect({ kind: "close", code: 1012, reason: "" })); // true
 * console.log(shouldReconnect({ kind: "close", code: 1008, reason: "" })); // false
 * ```
 * @param cause What ended the attempt or the connection.
 * @returns Whether to try again.
 */
export function shouldReconnect(cause: ReconnectCause): boolean {
  switch (cause.kind) {
    case "close":
      // rfc6455#section-7.4.1: 1001/1011 and the IANA-registered 1012-1014 describe a server
      // that went away or cannot serve now; the others a fault that a new connection repeats.
      return RETRYABLE_CLOSE_CODES.includes(cause.code);
    case "handshake":
      return RETRYABLE_STATUSES.includes(cause.status);
    case "network":
      return true;
    default:
      return false;
  }
}

/**
 * Classifies an error thrown by `connect` (or by the `onOpen` hook) as a
 * {@linkcode ReconnectCause}: a `HandshakeError` with a status is a `"handshake"`, one with
 * status 0 (socket refused, reset, timed out, a proxy down) a `"network"`, anything else an
 * `"error"`.
 *
 * @example
 * ```ts
 * import { causeOfError, HandshakeError } from "@wsflow/wsflow";
 * console.log(causeOfError(new HandshakeError("Cannot connect: refused", 0)).kind); // "network"
 * console.log(causeOfError(new SyntaxError("bad URL")).kind); // "error"
 * ```
 * @param error What was thrown.
 * @returns Its cause.
 */
export function causeOfError(error: unknown): ReconnectCause {
  if (error instanceof HandshakeError) {
    return error.status === 0
      ? { kind: "network", error }
      : { kind: "handshake", status: error.status, headers: error.headers, error };
  }
  return { kind: "error", error };
}

/**
 * The wait a `Retry-After` header field asks for, in milliseconds: delay-seconds, or an
 * HTTP-date less the current time (rfc9110#section-10.2.3). `undefined` when absent or not
 * valid; never negative.
 *
 * @example
 * ```ts
 * import { retryAfterDelay } from "@wsflow/wsflow";
 * console.log(retryAfterDelay(new Headers({ "retry-after": "3" }), Date.now())); // 3000
 * const date = new Headers({ "retry-after": "Wed, 21 Oct 2015 07:28:10 GMT" });
 * console.log(retryAfterDelay(date, Date.parse("Wed, 21 Oct 2015 07:28:00 GMT"))); // 10000
 * ```
 * @param headers The response's header fields.
 * @param now The current time as milliseconds since the epoch (`Date.now()`).
 * @returns Milliseconds, or `undefined`.
 */
export function retryAfterDelay(headers: Headers, now: number): number | undefined {
  const value = headers.get("retry-after")?.trim();
  if (value === undefined || value === "") return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // An HTTP-date names its day and month; Date.parse would also take "-5" as a year.
  if (!/^[a-z]{3},? /i.test(value)) return undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
