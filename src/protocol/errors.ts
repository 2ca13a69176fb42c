/**
 * The error family. Every failure a peer can cause is a {@linkcode WebSocketError} whose
 * `closeCode` is fixed by its class, so "fail the WebSocket connection" (rfc6455#section-7.1.7)
 * maps any error to a Close frame in one place:
 *
 * ```
 * WebSocketError (base; closeCode)
 * ├── ProtocolError            1002  framing, masking, opcodes, continuation, close payload rules
 * ├── UnsupportedDataError     1003  a data type the endpoint does not accept
 * ├── InvalidPayloadError      1007  invalid UTF-8 in text or in a close reason
 * ├── PolicyViolationError     1008  a policy of this endpoint (budgets, origin)
 * ├── MessageTooBigError       1009  frame, message or fragment-count limits
 * ├── MandatoryExtensionError  1010  (client) a required extension was not negotiated
 * ├── HandshakeError           1002  the opening handshake failed; carries an HTTP status
 * ├── TimeoutError             1006  a heartbeat, idle, close or handshake timer ran out
 * └── ConnectionClosedError    code  an operation on a connection that has closed
 * ```
 *
 * Programmer errors (bad arguments) throw the built-in `TypeError` and `RangeError`.
 *
 * @module
 */

import { CloseCode } from "./close_code.ts";

/**
 * Base class of every error a WebSocket peer can cause.
 *
 * @example Map any error to a close code
 * ```ts
 * import { ProtocolError, WebSocketError } from "@wsflow/wsflow";
 * const error: unknown = new ProtocolError("Cannot accept frame: reserved opcode 0x3");
 * const code = error instanceof WebSocketError ? error.closeCode : 1011;
 * console.log(code); // 1002
 * ```
 */
export class WebSocketError extends Error {
  /** The status code a Close frame sent because of this error carries. */
  readonly closeCode: number;

  /**
   * Creates the instance.
   * @param message Sentence-case description, detail after a colon, RFC token at the end.
   * @param closeCode The close status code this error maps to.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, closeCode: number, options?: ErrorOptions) {
    super(message, options);
    this.name = "WebSocketError";
    this.closeCode = closeCode;
  }
}

/**
 * The peer broke a framing or protocol rule (close code 1002).
 *
 * @example
 * ```ts
 * import { ProtocolError } from "@wsflow/wsflow";
 * console.log(new ProtocolError("Cannot accept frame: RSV2 is set").closeCode); // 1002
 * ```
 */
export class ProtocolError extends WebSocketError {
  /**
   * Creates the instance.
   * @param message What rule was broken.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, CloseCode.ProtocolError, options);
    this.name = "ProtocolError";
  }
}

/**
 * The peer sent a data type this endpoint does not accept (close code 1003).
 *
 * @example
 * ```ts
 * import { UnsupportedDataError } from "@wsflow/wsflow";
 * console.log(new UnsupportedDataError("Cannot accept binary messages").closeCode); // 1003
 * ```
 */
export class UnsupportedDataError extends WebSocketError {
  /**
   * Creates the instance.
   * @param message What was refused.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, CloseCode.UnsupportedData, options);
    this.name = "UnsupportedDataError";
  }
}

/**
 * The payload is inconsistent with its type, such as invalid UTF-8 in a text message or a close
 * reason (close code 1007, rfc6455#section-8.1).
 *
 * @example
 * ```ts
 * import { InvalidPayloadError } from "@wsflow/wsflow";
 * console.log(new InvalidPayloadError("Cannot decode text: invalid UTF-8").closeCode); // 1007
 * ```
 */
export class InvalidPayloadError extends WebSocketError {
  /**
   * Creates the instance.
   * @param message What was invalid.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, CloseCode.InvalidPayload, options);
    this.name = "InvalidPayloadError";
  }
}

/**
 * A message or connection violates this endpoint's policy (close code 1008).
 *
 * @example
 * ```ts
 * import { PolicyViolationError } from "@wsflow/wsflow";
 * console.log(new PolicyViolationError("Cannot buffer more data").closeCode); // 1008
 * ```
 */
export class PolicyViolationError extends WebSocketError {
  /**
   * Creates the instance.
   * @param message Which policy.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, CloseCode.PolicyViolation, options);
    this.name = "PolicyViolationError";
  }
}

/**
 * A frame, a message or its fragment count exceeds a configured limit (close code 1009).
 *
 * @example
 * ```ts
 * import { MessageTooBigError } from "@wsflow/wsflow";
 * console.log(new MessageTooBigError("Cannot accept message: too big").closeCode); // 1009
 * ```
 */
export class MessageTooBigError extends WebSocketError {
  /**
   * Creates the instance.
   * @param message Which limit and by how much.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, CloseCode.MessageTooBig, options);
    this.name = "MessageTooBigError";
  }
}

/**
 * (client) The server did not negotiate an extension the client requires (close code 1010).
 *
 * @example
 * ```ts
 * import { MandatoryExtensionError } from "@wsflow/wsflow";
 * console.log(new MandatoryExtensionError("Missing extension").closeCode); // 1010
 * ```
 */
export class MandatoryExtensionError extends WebSocketError {
  /**
   * Creates the instance.
   * @param message Which extension.
   * @param options Standard error options.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, CloseCode.MandatoryExtension, options);
    this.name = "MandatoryExtensionError";
  }
}

/**
 * The opening handshake failed (rfc6455#section-4). On the server, `status` is the HTTP status
 * of the refusal (400, 403, 404, 426, 431 …) and `headers` the extra response headers; on the
 * client, `status` and `headers` are what the server answered (0 when no response was read).
 *
 * @example
 * ```ts
 * import { HandshakeError } from "@wsflow/wsflow";
 * const error = new HandshakeError("Cannot upgrade: missing Sec-WebSocket-Key", 400);
 * console.log(error.status); // 400
 * ```
 */
export class HandshakeError extends WebSocketError {
  /** HTTP status of the refusal (server) or of the server's response (client). */
  readonly status: number;
  /** Response headers to send (server) or that were received (client). */
  readonly headers: Headers;

  /**
   * Creates the instance.
   * @param message What was wrong with the handshake.
   * @param status The HTTP status.
   * @param headers Extra headers of the response.
   * @param options Standard error options.
   */
  constructor(message: string, status: number, headers?: HeadersInit, options?: ErrorOptions) {
    super(message, CloseCode.ProtocolError, options);
    this.name = "HandshakeError";
    this.status = status;
    this.headers = new Headers(headers);
  }
}

/**
 * An operation was attempted on a connection that has closed or is closing.
 *
 * @example
 * ```ts
 * import { ConnectionClosedError } from "@wsflow/wsflow";
 * const error = new ConnectionClosedError(1000, "bye", true);
 * console.log(error.code, error.wasClean); // 1000 true
 * ```
 */
export class ConnectionClosedError extends WebSocketError {
  /** The close code the connection ended with. */
  readonly code: number;
  /** The close reason the connection ended with. */
  readonly reason: string;
  /** Whether the close handshake completed. */
  readonly wasClean: boolean;

  /**
   * Creates the instance.
   * @param code The close code.
   * @param reason The close reason.
   * @param wasClean Whether the close handshake completed.
   */
  constructor(code: number, reason: string, wasClean: boolean) {
    super(
      `Cannot use connection: it closed with code ${code}${reason ? ` (${reason})` : ""}`,
      code,
    );
    this.name = "ConnectionClosedError";
    this.code = code;
    this.reason = reason;
    this.wasClean = wasClean;
  }
}

/**
 * Which timer ended a connection: `"heartbeat"` (pings went unanswered), `"idle"` (nothing
 * arrived for too long), `"close"` (the peer never finished the closing handshake) or
 * `"handshake"` (the opening handshake took too long).
 *
 * @example
 * ```ts
 * import type { TimeoutKind } from "@wsflow/wsflow";
 * const kind: TimeoutKind = "heartbeat";
 * console.log(kind); // heartbeat
 * ```
 */
export type TimeoutKind = "heartbeat" | "idle" | "close" | "handshake";

/**
 * A connection ended because a timer ran out; `closed` reports it as its `error`. Its close code
 * is 1006 when the connection was dropped (heartbeat, close), and the code actually sent when it
 * was closed (idle: 1001).
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@wsflow/wsflow";
 * const error = new TimeoutError("heartbeat", "Cannot keep connection: no pong for 30000 ms");
 * console.log(error.timeout, error.closeCode); // "heartbeat" 1006
 * ```
 */
export class TimeoutError extends WebSocketError {
  /** Which timer ran out. */
  readonly timeout: TimeoutKind;

  /**
   * Creates the error.
   * @param timeout Which timer ran out.
   * @param message What happened.
   * @param closeCode The code the connection ended with.
   */
  constructor(timeout: TimeoutKind, message: string, closeCode: number = 1006) {
    super(message, closeCode);
    this.name = "TimeoutError";
    this.timeout = timeout;
  }
}
