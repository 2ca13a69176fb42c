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
  const digest = await crypto.subtle.digest(
    "SHA-1",
    new TextEncoder().encode(key + ACCEPT_GUID),
  );
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}
