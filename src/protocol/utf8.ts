/**
 * UTF-8 validation and decoding of text, streaming across fragments.
 *
 * The engine is the runtime's own WHATWG `TextDecoder` in fatal, streaming mode: it is native
 * code on every runtime, and it rejects a sequence at the first byte that makes it invalid,
 * even when the rest of the message has not arrived (checked on Deno, Bun and Node by the tests).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-8.1}
 */

import { InvalidPayloadError } from "./errors.ts";

// ignoreBOM keeps a leading U+FEFF in the text: it is content, and an echo must give it back.
const OPTIONS: TextDecoderOptions = { fatal: true, ignoreBOM: true };
const STREAM: TextDecodeOptions = { stream: true };
const wholeDecoder = new TextDecoder("utf-8", OPTIONS);
// One message however the text arrived (whole, in fragments, in pieces of a frame), so an
// outcome never depends on how the peer's bytes were chunked.
const INVALID = "Cannot decode text: payload is not valid UTF-8 (rfc6455#section-8.1)";

/**
 * Decodes a complete UTF-8 text payload.
 *
 * @example
 * ```ts
 * import { decodeUtf8 } from "@wsflow/wsflow";
 * console.log(decodeUtf8(new Uint8Array([0xce, 0xba]))); // "κ"
 * ```
 * @param bytes The payload.
 * @returns The text.
 * @throws {InvalidPayloadError} When the bytes are not valid UTF-8 (1007).
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return wholeDecoder.decode(bytes);
  } catch (cause) {
    // rfc6455#section-8.1: when an endpoint is to interpret a byte stream as UTF-8 but finds
    // that the byte stream is not a valid UTF-8 stream, it MUST _Fail the WebSocket Connection_
    throw new InvalidPayloadError(INVALID, { cause });
  }
}

/**
 * Whether `bytes` are valid UTF-8.
 *
 * @example
 * ```ts
 * import { isValidUtf8 } from "@wsflow/wsflow";
 * console.log(isValidUtf8(new Uint8Array([0xed, 0xa0, 0x80]))); // false: a surrogate
 * ```
 * @param bytes The bytes to check.
 * @returns `true` when they are valid UTF-8.
 */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    wholeDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Decodes UTF-8 text that arrives in pieces split anywhere, even inside a character, and fails
 * as soon as an invalid sequence is certain (rfc6455#section-8.1), without waiting for the end
 * of the message.
 *
 * @example Text split inside a character
 * ```ts
 * import { Utf8StreamDecoder } from "@wsflow/wsflow";
 * const decoder = new Utf8StreamDecoder();
 * const text = decoder.push(new Uint8Array([0x48, 0xce])) + decoder.push(new Uint8Array([0xba])) +
 *   decoder.end();
 * console.log(text); // "Hκ"
 * ```
 */
export class Utf8StreamDecoder {
  #decoder = new TextDecoder("utf-8", OPTIONS);

  /**
   * Decodes the next piece.
   *
   * @param bytes The next bytes.
   * @returns The text completed by these bytes.
   * @throws {InvalidPayloadError} When an invalid sequence is certain (1007).
   */
  push(bytes: Uint8Array): string {
    try {
      return this.#decoder.decode(bytes, STREAM);
    } catch (cause) {
      this.#decoder = new TextDecoder("utf-8", OPTIONS);
      // rfc6455#section-8.1: fail as soon as the byte stream is known not to be valid UTF-8
      throw new InvalidPayloadError(
        INVALID,
        { cause },
      );
    }
  }

  /**
   * Ends the text and resets the decoder for the next one.
   *
   * @returns Any text still held (always empty for valid input).
   * @throws {InvalidPayloadError} When the text ends inside a character (1007).
   */
  end(): string {
    try {
      return this.#decoder.decode();
    } catch (cause) {
      this.#decoder = new TextDecoder("utf-8", OPTIONS);
      throw new InvalidPayloadError(
        INVALID,
        { cause },
      );
    }
  }
}
