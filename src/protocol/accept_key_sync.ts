/**
 * The `Sec-WebSocket-Accept` of a valid key, computed at once in plain ECMAScript: the SHA-1
 * (FIPS 180-4) of the key and the GUID, which together always fill exactly two 64-byte blocks,
 * written as base64 (rfc6455#section-4.2.2). A server answers every handshake with one;
 * node:crypto's `createHash` made three native calls and four objects for each, and
 * `crypto.subtle` a promise.
 *
 * SHA-1 serves here only as the handshake's proof of reading the key, not as a security
 * primitive (rfc6455#section-10.6 relies on TLS for that).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.2.2}
 */

// rfc6455#section-1.3: the GUID concatenated with Sec-WebSocket-Key before hashing
const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
// A valid key is 24 base64 characters (16 bytes, rfc6455#section-4.2.1); with the GUID, 60 bytes.
const KEY_LENGTH = 24;
/** The length of the value: the base64 of a 20-byte digest. */
export const ACCEPT_LENGTH = 28;

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_CODES = Uint8Array.from(BASE64, (c) => c.charCodeAt(0));

// The message in 32 big-endian words: the key (words 0-5), the GUID (words 6-14), the 0x80 that
// ends the message (word 15), then a second block of zeros ending with the length in bits (480).
const MESSAGE = new Int32Array(32);
for (let i = 0; i < ACCEPT_GUID.length; i += 4) {
  MESSAGE[(KEY_LENGTH + i) >> 2] = ACCEPT_GUID.charCodeAt(i) << 24 |
    ACCEPT_GUID.charCodeAt(i + 1) << 16 | ACCEPT_GUID.charCodeAt(i + 2) << 8 |
    ACCEPT_GUID.charCodeAt(i + 3);
}
MESSAGE[15] = 0x80000000 | 0;
MESSAGE[31] = (KEY_LENGTH + ACCEPT_GUID.length) * 8;
const SCHEDULE = new Int32Array(80);
const STATE = new Int32Array(5);
const DIGEST = new Uint8Array(21); // 20 bytes, and a zero that pads the last base64 group

/**
 * Writes the `Sec-WebSocket-Accept` of `key` as 28 ASCII bytes into `out` at `at`.
 *
 * @example The RFC's own example
 * ```ts
 * import { writeAcceptKey } from "./accept_key_sync.ts";
 * const out = new Uint8Array(28);
 * writeAcceptKey("dGhlIHNhbXBsZSBub25jZQ==", out, 0);
 * console.log(new TextDecoder().decode(out)); // s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 * ```
 * @param key The `Sec-WebSocket-Key`.
 * @param out Where the value goes.
 * @param at Its offset in `out`.
 * @returns `false`, writing nothing, unless `key` has the length of a valid key and only ASCII
 *   characters (then compute it with `acceptKey`).
 */
export function writeAcceptKey(key: string, out: Uint8Array, at: number): boolean {
  if (key.length !== KEY_LENGTH) return false;
  for (let i = 0; i < KEY_LENGTH; i += 4) {
    const a = key.charCodeAt(i);
    const b = key.charCodeAt(i + 1);
    const c = key.charCodeAt(i + 2);
    const d = key.charCodeAt(i + 3);
    if ((a | b | c | d) > 0x7f) return false;
    MESSAGE[i >> 2] = a << 24 | b << 16 | c << 8 | d;
  }
  sha1Blocks();
  const digest = DIGEST;
  for (let i = 0; i < 5; i++) {
    const word = STATE[i]!;
    digest[i * 4] = word >>> 24;
    digest[i * 4 + 1] = word >>> 16;
    digest[i * 4 + 2] = word >>> 8;
    digest[i * 4 + 3] = word;
  }
  // 20 bytes: six groups of three, then two bytes as three characters and "=".
  let o = at;
  for (let i = 0; i < 21; i += 3) {
    const group = digest[i]! << 16 | digest[i + 1]! << 8 | digest[i + 2]!;
    out[o++] = BASE64_CODES[group >>> 18]!;
    out[o++] = BASE64_CODES[(group >>> 12) & 63]!;
    out[o++] = BASE64_CODES[(group >>> 6) & 63]!;
    out[o++] = BASE64_CODES[group & 63]!;
  }
  out[at + ACCEPT_LENGTH - 1] = 0x3d; // "="
  return true;
}

/**
 * The `Sec-WebSocket-Accept` of `key`, at once, or `undefined` when `key` is not of a valid
 * key's length and characters (see {@linkcode writeAcceptKey}).
 *
 * @example The RFC's own example
 * ```ts
 * import { acceptKeySync } from "./accept_key_sync.ts";
 * console.log(acceptKeySync("dGhlIHNhbXBsZSBub25jZQ==")); // s3pPLMBiTxaQ9kYGzzhZRbK+xOo=
 * ```
 * @param key The `Sec-WebSocket-Key`.
 * @returns The value, or `undefined`.
 */
export function acceptKeySync(key: string): string | undefined {
  const out = new Uint8Array(ACCEPT_LENGTH);
  if (!writeAcceptKey(key, out, 0)) return undefined;
  return String.fromCharCode.apply(null, out as unknown as number[]);
}

const K3 = 0x8f1bbcdc | 0;
const K4 = 0xca62c1d6 | 0;

// FIPS 180-4 section 6.1.2, over the two blocks of MESSAGE, into STATE.
function sha1Blocks(): void {
  const w = SCHEDULE;
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  for (let block = 0; block < 32; block += 16) {
    for (let t = 0; t < 16; t++) w[t] = MESSAGE[block + t]!;
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
      w[t] = x << 1 | x >>> 31;
    }
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    let t = 0;
    for (; t < 20; t++) {
      const temp = ((a << 5 | a >>> 27) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0;
      e = d;
      d = c;
      c = b << 30 | b >>> 2;
      b = a;
      a = temp;
    }
    for (; t < 40; t++) {
      const temp = ((a << 5 | a >>> 27) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
      e = d;
      d = c;
      c = b << 30 | b >>> 2;
      b = a;
      a = temp;
    }
    for (; t < 60; t++) {
      const temp = ((a << 5 | a >>> 27) + ((b & c) | (b & d) | (c & d)) + e + K3 + w[t]!) | 0;
      e = d;
      d = c;
      c = b << 30 | b >>> 2;
      b = a;
      a = temp;
    }
    for (; t < 80; t++) {
      const temp = ((a << 5 | a >>> 27) + (b ^ c ^ d) + e + K4 + w[t]!) | 0;
      e = d;
      d = c;
      c = b << 30 | b >>> 2;
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  STATE[0] = h0;
  STATE[1] = h1;
  STATE[2] = h2;
  STATE[3] = h3;
  STATE[4] = h4;
}
