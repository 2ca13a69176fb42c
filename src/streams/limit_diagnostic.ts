/**
 * The diagnostics event for a connection that a limit or a timer of its own end ended: which
 * one, on which connection.
 *
 * @module
 */

import { CloseCode } from "../protocol/close_code.ts";
import { TimeoutError, type WebSocketError } from "../protocol/errors.ts";
import type { Role } from "../protocol/frame.ts";
import type { ObservedConnection } from "./connection_observer.ts";
import { type ConnectionLimit, publishDiagnostic } from "./diagnostics.ts";

// The limits that end a connection with their own close code (timers carry their own name).
const LIMIT_BY_CODE: Readonly<Record<number, ConnectionLimit>> = {
  [CloseCode.MessageTooBig]: "size",
  [CloseCode.PolicyViolation]: "sendBuffer",
  [CloseCode.TryAgainLater]: "partialMessageBudget",
};

/**
 * Publishes a `connection-limit` event when `error` is a limit's or a timer's; other errors
 * (a protocol error, the peer's) publish nothing. Call it only when `diagnosticsWanted()`.
 *
 * @example
 * ```ts ignore
 * if (event.error !== undefined && diagnosticsWanted()) {
 *   publishLimitDiagnostic(event.error, "server", connection);
 * }
 * ```
 * @param error What ended the connection.
 * @param role This end's role.
 * @param connection The connection's URL and peer address.
 */
export function publishLimitDiagnostic(
  error: WebSocketError,
  role: Role,
  connection: ObservedConnection,
): void {
  const limit: ConnectionLimit | undefined = error instanceof TimeoutError
    ? error.timeout
    : LIMIT_BY_CODE[error.closeCode];
  if (limit === undefined) return;
  publishDiagnostic({
    type: "connection-limit",
    limit,
    code: error.closeCode,
    role,
    url: connection.url.href,
    remoteAddr: connection.remoteAddr,
    error,
  });
}
