/**
 * What the `ws`-compatible `WebSocket`'s `send`, `ping` and `pong` take, as bytes: views over
 * what the caller passed (no copy), fragments held back by `fin: false` joined into one
 * message, and control frames' data checked against rfc6455#section-5.5's 125 bytes.
 *
 * @module
 */

import type { SendCallback, WebSocketData } from "./node_ws_options.ts";

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/**
 * The bytes of an `ArrayBuffer` or a view, as a `Uint8Array` over the same memory.
 *
 * @example
 * ```ts
 * import { bytesOf } from "./node_ws_data.ts";
 * console.log(bytesOf(new Uint16Array([0x0201])).byteLength); // 2
 * ```
 * @param data The buffer or view.
 * @returns A view of its bytes; no copy.
 */
export function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return ArrayBuffer.isView(data)
    ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    : new Uint8Array(data);
}

/**
 * Joins the fragments that `send(data, { fin: false })` held back into one message.
 *
 * @example
 * ```ts
 * import { concat } from "./node_ws_data.ts";
 * console.log(concat([new Uint8Array([1]), new Uint8Array([2, 3])])); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 * @param parts The fragments, in order.
 * @returns The whole message: the one part itself when there is one.
 */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const whole = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.byteLength;
  }
  return whole;
}

/**
 * `ws`'s `(data, mask, cb)` of `ping` and `pong`, with either leading argument left out.
 *
 * @example
 * ```ts
 * import { controlArguments } from "./node_ws_data.ts";
 * const { data, cb } = controlArguments(() => {}, undefined, undefined);
 * console.log(data, typeof cb); // undefined function
 * ```
 * @param data The data, or the callback.
 * @param mask Ignored (masking follows the endpoint's role), or the callback.
 * @param cb The callback.
 * @returns The data and the callback.
 */
export function controlArguments(
  data: WebSocketData | SendCallback | undefined,
  mask: boolean | SendCallback | undefined,
  cb: SendCallback | undefined,
): { data: WebSocketData | undefined; cb: SendCallback | undefined } {
  if (typeof data === "function") return { data: undefined, cb: data };
  if (typeof mask === "function") return { data, cb: mask };
  return { data, cb };
}

/**
 * A control frame's payload; rfc6455#section-5.5: at most 125 bytes, checked at once.
 *
 * @example
 * ```ts
 * import { controlPayload } from "./node_ws_data.ts";
 * console.log(controlPayload("hi")); // Uint8Array(2) [ 104, 105 ]
 * ```
 * @param data The data: a string or number as UTF-8 text, or bytes.
 * @returns The payload.
 * @throws {RangeError} When it is longer than 125 bytes.
 */
export function controlPayload(data: WebSocketData | undefined): Uint8Array {
  const payload = data === undefined
    ? EMPTY
    : typeof data === "string" || typeof data === "number"
    ? encoder.encode(String(data))
    : bytesOf(data);
  if (payload.byteLength > 125) {
    throw new RangeError("The data size must not be greater than 125 bytes");
  }
  return payload;
}
