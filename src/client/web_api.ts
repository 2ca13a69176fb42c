/**
 * What the two WHATWG classes, `WebSocket` and `WebSocketStream`, check and
 * convert the same way: the URL, the subprotocols, the arguments of `close`, and the data passed
 * to `send` or the writable.
 *
 * The rules themselves live in layer 0 (`parseWebSocketUrl` in websocket_url.ts,
 * `checkProtocolOffer` in client_handshake.ts, `MAX_CLOSE_REASON_BYTES` in close_payload.ts);
 * this file turns their `SyntaxError`s into the `DOMException`s the standard names, and adds the
 * API's own rule on close codes. Internal (not exported from `mod.ts`).
 *
 * @module
 * @see {@link https://websockets.spec.whatwg.org/}
 */

import { checkProtocolOffer } from "../protocol/client_handshake.ts";
import { CloseCode } from "../protocol/close_code.ts";
import { MAX_CLOSE_REASON_BYTES } from "../protocol/close_payload.ts";
import type { Message } from "../protocol/message.ts";
import { parseWebSocketUrl } from "../protocol/websocket_url.ts";

const encoder = new TextEncoder();

/**
 * Parses a URL as the WebSocket constructors do: absolute, `ws:` or `wss:` (`http:` and
 * `https:` become those), no fragment. Layer 0's `parseWebSocketUrl` with its `SyntaxError`
 * thrown as the `DOMException` the standard names.
 *
 * @example
 * ```ts
 * import { parseUrl } from "./web_api.ts";
 * console.log(parseUrl("https://example.com/chat").href); // wss://example.com/chat
 * ```
 * @param input The URL.
 * @returns The parsed URL.
 * @throws {DOMException} `SyntaxError` when the URL is not valid for a WebSocket.
 * @see {@link https://websockets.spec.whatwg.org/#dom-websocket-websocket}
 */
export function parseUrl(input: string | URL): URL {
  try {
    return parseWebSocketUrl(input);
  } catch (error) {
    throw asDomSyntaxError(error);
  }
}

/**
 * Checks subprotocols as the WebSocket constructors do: tokens, none repeated. Layer 0's
 * `checkProtocolOffer` with its `SyntaxError` thrown as the `DOMException` the standard names.
 *
 * @example
 * ```ts
 * import { checkProtocols } from "./web_api.ts";
 * checkProtocols(["chat", "superchat"]); // fine
 * try {
 *   checkProtocols(["chat", "chat"]);
 * } catch (error) {
 *   console.log((error as DOMException).name); // SyntaxError
 * }
 * ```
 * @param protocols The subprotocols to offer.
 * @throws {DOMException} `SyntaxError` when one is not a token or is repeated.
 * @see {@link https://websockets.spec.whatwg.org/#dom-websocket-websocket}
 */
export function checkProtocols(protocols: readonly string[]): void {
  try {
    checkProtocolOffer(protocols);
  } catch (error) {
    throw asDomSyntaxError(error);
  }
}

/**
 * Checks the arguments of `close` as the standard does, before anything is sent: a code must be
 * 1000 or 3000-4999 (the others are the protocol's own, not an application's), and the reason at
 * most {@linkcode MAX_CLOSE_REASON_BYTES} bytes of UTF-8.
 *
 * @example
 * ```ts
 * import { checkCloseArguments } from "./web_api.ts";
 * checkCloseArguments(4000, "done"); // fine
 * try {
 *   checkCloseArguments(1001, undefined);
 * } catch (error) {
 *   console.log((error as DOMException).name); // InvalidAccessError
 * }
 * ```
 * @param code The close code, if given.
 * @param reason The reason, if given.
 * @throws {DOMException} `InvalidAccessError` for another code; `SyntaxError` for a longer
 * reason.
 * @see {@link https://websockets.spec.whatwg.org/#dom-websocket-close}
 */
export function checkCloseArguments(code: number | undefined, reason: string | undefined): void {
  if (code !== undefined && code !== CloseCode.NormalClosure && !(code >= 3000 && code <= 4999)) {
    throw new DOMException(
      `Cannot close with code ${code}: use 1000 or 3000-4999`,
      "InvalidAccessError",
    );
  }
  // Counted as it will be sent: TextEncoder writes a lone surrogate as U+FFFD, 3 bytes.
  if (reason !== undefined && encoder.encode(reason).length > MAX_CLOSE_REASON_BYTES) {
    // rfc6455#section-5.5: a control frame's payload, code included, is at most 125 bytes
    throw new DOMException(
      `Cannot close: the reason is longer than ${MAX_CLOSE_REASON_BYTES} bytes of UTF-8 ` +
        "(rfc6455#section-5.5)",
      "SyntaxError",
    );
  }
}

/**
 * Copies binary data into a `Uint8Array` the caller cannot change any more; text stays text.
 * What `send` and the writable do with each chunk, so the caller may reuse its buffer at once.
 *
 * @example
 * ```ts
 * import { toMessage } from "./web_api.ts";
 * const source = new Uint8Array([1, 2, 3]);
 * const message = toMessage(source.subarray(1));
 * source[1] = 9;
 * console.log(message); // Uint8Array(2) [ 2, 3 ]
 * ```
 * @param data Text, or binary data of any kind.
 * @returns The message to send.
 */
export function toMessage(data: string | ArrayBufferLike | ArrayBufferView): Message {
  if (typeof data === "string") return data;
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  return new Uint8Array(data).slice();
}

// The WebSocket API names the failures of layer 0's checks DOMException "SyntaxError".
function asDomSyntaxError(error: unknown): DOMException {
  return new DOMException((error as Error).message, "SyntaxError");
}
