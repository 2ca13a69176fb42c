/**
 * How a string from a peer or a caller goes into an error message.
 *
 * A handshake refusal quotes header values the peer chose; left as they are, a CR, LF or escape
 * sequence would forge log lines and a 64 KiB value would flood them. One helper keeps every
 * message in layer 0 quoted the same way.
 *
 * @module
 */

/**
 * `value` in double quotes for an error message: cut after `maxLength` characters, every
 * character outside printable ASCII written as `\xNN`. The `…` that marks a cut is escaped like
 * the rest (`\x2026`), which keeps the message pure ASCII.
 *
 * Internal to layer 0 (not exported from `mod.ts`).
 *
 * @example
 * ```ts
 * console.log(quote("chat\r\nX-Injected: 1")); // "chat\x0d\x0aX-Injected: 1"
 * console.log(quote("abcdef", 3)); // "abc\x2026"
 * ```
 * @param value The string to show.
 * @param maxLength How many characters to show at most.
 * @returns The quoted, printable string.
 */
export function quote(value: string, maxLength: number = 64): string {
  const short = value.length > maxLength ? `${value.slice(0, maxLength)}…` : value;
  let out = "";
  for (let i = 0; i < short.length; i++) {
    const code = short.charCodeAt(i);
    out += code >= 0x20 && code < 0x7f ? short[i] : `\\x${code.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"`;
}
