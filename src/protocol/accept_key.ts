/**
 * The `Sec-WebSocket-Accept` value: the server's proof that it read the client's
 * `Sec-WebSocket-Key` (rfc6455#section-4.2.2), computed by the server and checked by the client
 * (rfc6455#section-4.1).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.2.2}
 */

// rfc6455#section-1.3: the GUID concatenated with Sec-WebSocket-Key before hashing
const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/**
 * Computes `Sec-WebSocket-Accept` from `Sec-WebSocket-Key` (rfc6455#section-4.2.2): the base64
 * of the SHA-1 of the key followed by the GUID `258EAFA5-E914-47DA-95CA-C5AB0DC85B11`.
 *
 * @example The RFC's own example
 * ```ts
 * import { acceptKey } from "@wsflow/wsflow";
 * console.log(await acceptKey("dGhlIHNhbXBsZSBub25jZQ==")); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 * @param key The `Sec-WebSocket-Key` value, without surrounding whitespace.
 * @returns The `Sec-WebSocket-Accept` value.
 */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", ENCODER.encode(key + ACCEPT_GUID));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

/**
 * A synchronous SHA-1: the 20-byte digest of `data`. The runtime adapters pass node:crypto's
 * (`createHash("sha1")`), which Node, Bun and Deno all have; layer 0 only calls it.
 *
 * @example
 * ```ts
 * import type { Sha1 } from "@wsflow/wsflow";
 * import { createHash } from "node:crypto";
 * const sha1: Sha1 = (data) => createHash("sha1").update(data).digest();
 * console.log(sha1(new Uint8Array(0)).length); // 20
 * ```
 */
export type Sha1 = (data: Uint8Array) => Uint8Array;

/**
 * {@linkcode acceptKey} with a synchronous SHA-1, at once: the same value, without the
 * round trip through `crypto.subtle`'s promise, which costs a server accepting thousands of
 * connections a second (rfc6455#section-4.2.2).
 *
 * @example The RFC's own example
 * ```ts
 * import { acceptKeyWith } from "@wsflow/wsflow";
 * import { createHash } from "node:crypto";
 * const sha1 = (data: Uint8Array): Uint8Array => createHash("sha1").update(data).digest();
 * console.log(acceptKeyWith("dGhlIHNhbXBsZSBub25jZQ==", sha1)); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 * @param key The `Sec-WebSocket-Key` value, without surrounding whitespace.
 * @param sha1 The SHA-1 to hash with.
 * @returns The `Sec-WebSocket-Accept` value.
 */
export function acceptKeyWith(key: string, sha1: Sha1): string {
  const digest = sha1(ENCODER.encode(key + ACCEPT_GUID));
  let binary = "";
  for (let i = 0; i < digest.length; i++) binary += String.fromCharCode(digest[i]!);
  return btoa(binary);
}

const ENCODER = new TextEncoder();
