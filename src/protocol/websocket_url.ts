/**
 * The one parser for the URL a client connects to (rfc6455#section-3): absolute, `ws:` or
 * `wss:` (`http:` and `https:` are taken as those, as the WebSocket API does), a host, and no
 * fragment.
 *
 * It throws the built-in `SyntaxError`; the WebSocket API's classes turn that into a
 * `DOMException` named `SyntaxError` where the standard asks for one.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-3}
 */

import { quote } from "./quote.ts";

/**
 * Parses the URL of a WebSocket server (rfc6455#section-3) and returns it with a `ws:` or `wss:`
 * scheme: `http:` becomes `ws:` and `https:` becomes `wss:`; host, port, path and query are kept.
 *
 * Internal to wsflow (not exported from `mod.ts`): `createClientHandshake` and the client layer
 * use it, so every client entry point accepts the same URLs.
 *
 * @example
 * ```ts
 * console.log(parseWebSocketUrl("https://example.com/chat?room=1").href);
 * // "wss://example.com/chat?room=1"
 * try {
 *   parseWebSocketUrl("ws://example.com/#top");
 * } catch (error) {
 *   console.log(error instanceof SyntaxError); // true: no fragment on WebSocket URLs
 * }
 * ```
 * @param input The URL.
 * @returns A new `URL` whose scheme is `ws:` or `wss:`.
 * @throws {SyntaxError} When the URL is invalid, not `ws:`/`wss:`/`http:`/`https:`, has a
 * fragment, or has no host (rfc6455#section-3).
 */
export function parseWebSocketUrl(input: URL | string): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch (cause) {
    throw new SyntaxError(
      `Cannot connect to ${quote(String(input))}: not a valid URL (rfc6455#section-3)`,
      { cause },
    );
  }
  const scheme = url.protocol;
  if (scheme !== "ws:" && scheme !== "wss:" && scheme !== "http:" && scheme !== "https:") {
    throw new SyntaxError(
      `Cannot connect to ${quote(url.href)}: scheme ${scheme} is not ws: or wss: ` +
        `(rfc6455#section-3)`,
    );
  }
  // rfc6455#section-3: fragment identifiers MUST NOT be used on WebSocket URIs. href keeps a "#"
  // even for an empty fragment, where url.hash is "".
  if (url.href.includes("#")) {
    throw new SyntaxError(
      `Cannot connect to ${quote(url.href)}: WebSocket URLs have no fragment (rfc6455#section-3)`,
    );
  }
  if (url.hostname === "") {
    throw new SyntaxError(`Cannot connect to ${quote(url.href)}: no host (rfc6455#section-3)`);
  }
  // Both are special schemes with the same default ports, so host, port and path carry over.
  if (scheme === "http:") url.protocol = "ws:";
  else if (scheme === "https:") url.protocol = "wss:";
  return url;
}
