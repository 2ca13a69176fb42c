/**
 * The message: what the application sends and receives.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.6}
 */

/**
 * A complete WebSocket message: a `string` for a text message, a `Uint8Array` for a binary one.
 *
 * @example Tell text from binary
 * ```ts
 * import type { Message } from "@wsflow/wsflow";
 * function describe(message: Message): string {
 *   return typeof message === "string" ? `text: ${message}` : `binary: ${message.length} bytes`;
 * }
 * console.log(describe("hi")); // text: hi
 * ```
 */
export type Message = string | Uint8Array;
