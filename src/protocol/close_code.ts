/**
 * Close status codes and the rules on which may be sent and received.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.4}
 */

/**
 * Named close status codes (rfc6455#section-7.4.1 and the IANA registry, rfc6455#section-11.7).
 *
 * 1005, 1006 and 1015 are reported locally and never appear in a Close frame.
 *
 * @example Close with "going away"
 * ```ts
 * import { CloseCode } from "@wsflow/wsflow";
 * console.log(CloseCode.GoingAway); // 1001
 * ```
 */
export const CloseCode = {
  /** The purpose for which the connection was established has been fulfilled. */
  NormalClosure: 1000,
  /** An endpoint is going away (server shutdown, page navigation). */
  GoingAway: 1001,
  /** The peer broke the protocol. */
  ProtocolError: 1002,
  /** A data type the endpoint cannot accept. */
  UnsupportedData: 1003,
  /** Reported when a Close frame carried no status code; never sent. */
  NoStatusReceived: 1005,
  /** Reported when the connection closed without a Close frame; never sent. */
  AbnormalClosure: 1006,
  /** Data inconsistent with the message type, such as invalid UTF-8 in text. */
  InvalidPayload: 1007,
  /** A message violates the endpoint's policy. */
  PolicyViolation: 1008,
  /** A message is too big to process. */
  MessageTooBig: 1009,
  /** (client) The server did not negotiate an extension the client requires. */
  MandatoryExtension: 1010,
  /** (server) An unexpected condition prevented the request from being fulfilled. */
  InternalError: 1011,
  /** The service is restarting (IANA registry). */
  ServiceRestart: 1012,
  /** Try again later (IANA registry). */
  TryAgainLater: 1013,
  /** Bad gateway (IANA registry). */
  BadGateway: 1014,
  /** Reported when the TLS handshake failed; never sent. */
  TlsHandshake: 1015,
} as const;

/** One of the values of {@linkcode CloseCode}, or any other number in the allowed ranges. */
export type CloseCode = typeof CloseCode[keyof typeof CloseCode];

/**
 * Whether a Close frame received from the peer may carry `code`.
 *
 * rfc6455#section-7.4.1 and rfc6455#section-7.4.2: 1000-1003, 1007-1011 and the IANA-registered
 * 1012-1014 are defined; 3000-4999 are for libraries and applications. 0-999, 1004-1006, 1015 and
 * the rest of 1016-2999 are reserved or must never appear on the wire, and 5000+ is undefined.
 *
 * @example
 * ```ts
 * import { isReceivableCloseCode } from "@wsflow/wsflow";
 * console.log(isReceivableCloseCode(1005)); // false: never sent in a Close frame
 * ```
 * @param code The two-byte status code read from a Close frame.
 * @returns `true` when the code is valid on the wire.
 */
export function isReceivableCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true; // rfc6455#section-7.4.2
  if (code >= 1000 && code <= 1014) {
    // rfc6455#section-7.4.1: 1004 reserved; 1005 and 1006 MUST NOT be set in a Close frame
    return code !== 1004 && code !== 1005 && code !== 1006;
  }
  return false;
}

/**
 * Whether this endpoint may put `code` into a Close frame it sends.
 *
 * The same set as {@linkcode isReceivableCloseCode}: 1000-1003, 1007-1014 and 3000-4999.
 * Applications usually pick 1000, 1001 or a private code in 4000-4999.
 *
 * @example
 * ```ts
 * import { isSendableCloseCode } from "@wsflow/wsflow";
 * console.log(isSendableCloseCode(4001)); // true
 * ```
 * @param code The status code to send.
 * @returns `true` when the code may be sent.
 */
export function isSendableCloseCode(code: number): boolean {
  return Number.isInteger(code) && isReceivableCloseCode(code);
}
