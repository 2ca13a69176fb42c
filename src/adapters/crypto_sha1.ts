/**
 * node:crypto's SHA-1, synchronous, for the handshake's accept key: Node, Bun and Deno all
 * have `createHash`, and hashing at once spares every handshake a `crypto.subtle` promise
 * (on Node a trip to the thread pool). The adapters pass it to the server as `sha1`.
 *
 * @module
 */

import { createHash } from "node:crypto";

/**
 * The SHA-1 digest of `data`, computed at once with node:crypto.
 *
 * @example
 * ```ts
 * import { cryptoSha1 } from "./crypto_sha1.ts";
 * console.log(cryptoSha1(new TextEncoder().encode("abc")).length); // 20
 * ```
 * @param data The bytes to hash.
 * @returns The 20-byte digest.
 */
export function cryptoSha1(data: Uint8Array): Uint8Array {
  return createHash("sha1").update(data).digest();
}
