/**
 * The UTF-8 length of a string without encoding it: what a text message's payload measures on
 * the wire (before compression), counted from its UTF-16 code units.
 *
 * @module
 */

/**
 * Bytes `text` takes in UTF-8. A lone surrogate counts 3 bytes, as `TextEncoder` writes it
 * (U+FFFD).
 *
 * @example
 * ```ts
 * import { utf8Length } from "./utf8_length.ts";
 * console.log(utf8Length("héllo €"), utf8Length("😀")); // 10 4
 * ```
 * @param text Any string.
 * @returns The number of bytes.
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair: two units, four bytes.
        bytes += 2;
        i++;
      } else {
        bytes += 2;
      }
    } else {
      bytes += 2;
    }
  }
  return bytes;
}
