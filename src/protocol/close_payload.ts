/**
 * Close frame payloads: a two-byte status code and a UTF-8 reason.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.5.1}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.5}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1.6}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.4}
 */

import { CloseCode, isReceivableCloseCode, isSendableCloseCode } from "./close_code.ts";
import { InvalidPayloadError, ProtocolError } from "./errors.ts";
import { decodeUtf8 } from "./utf8.ts";

/**
 * Longest close reason, in UTF-8 bytes: a control frame carries at most 125 bytes, two of which
 * are the status code.
 *
 * @example
 * ```ts
 * import { MAX_CLOSE_REASON_BYTES } from "@wsflow/wsflow";
 * console.log(MAX_CLOSE_REASON_BYTES); // 123
 * ```
 */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * What a Close frame said: its status code (1005 when it had none, rfc6455#section-7.1.5) and
 * its reason.
 *
 * @example
 * ```ts
 * import type { CloseInfo } from "@wsflow/wsflow";
 * const info: CloseInfo = { code: 1000, reason: "done" };
 * console.log(info.code); // 1000
 * ```
 */
export interface CloseInfo {
  /** The status code; 1005 when the frame had no payload. */
  code: number;
  /** The reason; empty when there was none. */
  reason: string;
}

const encoder = new TextEncoder();

/**
 * Parses the payload of a received Close frame.
 *
 * @example
 * ```ts
 * import { parseClosePayload } from "@wsflow/wsflow";
 * console.log(parseClosePayload(new Uint8Array([0x03, 0xe8, 0x6f, 0x6b]))); // { code: 1000, reason: "ok" }
 * ```
 * @param payload The Close frame's payload.
 * @returns The status code and reason.
 * @throws {ProtocolError} On a one-byte payload or a code that may not be sent (1002).
 * @throws {InvalidPayloadError} On a reason that is not valid UTF-8 (1007).
 */
export function parseClosePayload(payload: Uint8Array): CloseInfo {
  // rfc6455#section-7.1.5: if there is no such data in the Close control frame, the status
  // code is considered to be 1005
  if (payload.length === 0) return { code: CloseCode.NoStatusReceived, reason: "" };
  // rfc6455#section-5.5.1: if there is a body, the first two bytes MUST be a status code
  if (payload.length === 1) {
    throw new ProtocolError(
      "Cannot accept close frame: payload of 1 byte has no room for a status code (rfc6455#section-5.5.1)",
    );
  }
  const code = (payload[0]! << 8) | payload[1]!;
  // rfc6455#section-7.4: reserved and never-sent codes on the wire are a protocol error
  if (!isReceivableCloseCode(code)) {
    throw new ProtocolError(
      `Cannot accept close frame: status code ${code} is not allowed on the wire (rfc6455#section-7.4)`,
    );
  }
  if (payload.length === 2) return { code, reason: "" };
  let reason: string;
  try {
    // rfc6455#section-5.5.1: the reason is UTF-8 encoded
    reason = decodeUtf8(payload.subarray(2));
  } catch (cause) {
    throw new InvalidPayloadError(
      "Cannot accept close frame: reason is not valid UTF-8 (rfc6455#section-5.5.1)",
      { cause },
    );
  }
  return { code, reason };
}

/**
 * Builds the payload of a Close frame to send. With no code the payload is empty.
 *
 * @example
 * ```ts
 * import { buildClosePayload } from "@wsflow/wsflow";
 * console.log(buildClosePayload(1000, "ok")); // Uint8Array [0x03, 0xe8, 0x6f, 0x6b]
 * ```
 * @param code The status code, or `undefined` for a Close frame without one.
 * @param reason The reason; needs a code.
 * @returns The payload.
 * @throws {RangeError} When the code may not be sent or the reason is over 123 bytes.
 * @throws {TypeError} When a reason is given without a code.
 */
export function buildClosePayload(code?: number, reason = ""): Uint8Array {
  if (code === undefined) {
    if (reason !== "") throw new TypeError("Cannot send a close reason without a status code");
    return new Uint8Array(0);
  }
  if (!isSendableCloseCode(code)) {
    throw new RangeError(
      `Cannot send close code ${code}: use 1000, 1001-1003, 1007-1014 or 3000-4999 (rfc6455#section-7.4)`,
    );
  }
  if (reason === "") {
    // The usual Close (an echoed code, no reason): two bytes, no encoder call or views.
    const payload = new Uint8Array(2);
    payload[0] = code >>> 8;
    payload[1] = code & 0xff;
    return payload;
  }
  const payload = new Uint8Array(2 + reason.length * 3);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  const { written } = encoder.encodeInto(reason, payload.subarray(2));
  if (written > MAX_CLOSE_REASON_BYTES) {
    throw new RangeError(
      `Cannot send close reason: it is ${written} bytes of UTF-8, limit is ${MAX_CLOSE_REASON_BYTES} (rfc6455#section-5.5)`,
    );
  }
  return payload.subarray(0, 2 + written);
}
