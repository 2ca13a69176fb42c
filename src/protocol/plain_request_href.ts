/**
 * The URL of the usual request as a string, without a `URL` parse: an origin-form target of
 * characters the URL parser copies as they are, under a `Host` of a lower-case name or a
 * dotted-quad address and an optional port. For such a request the `href` is the scheme, the
 * `Host` and the target put together, which is what `requestUrl` (`request_target.ts`) gives;
 * anything else is left to it. A `URL` and its parse cost a handshake more than the checks
 * that follow it (on Node a `URL` and its context objects, on Deno an op).
 *
 * @module
 * @see {@link https://url.spec.whatwg.org/#concept-basic-url-parser}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7230#section-5.4}
 */

/**
 * The `href` of `scheme//host` followed by `target`, exactly as `new URL` would serialize it,
 * when that needs no parse; otherwise `undefined`.
 *
 * - `target` is `/`, then only letters, digits and `-._~!$&()*+,;=:@/%?`, with no path segment
 *   that starts with `.` or `%2e` (the parser would resolve or decode a dot segment);
 * - `host` is a lower-case name whose last label starts with a letter (no `xn--` label), or an
 *   IPv4 address in four decimal parts, optionally with `:port` (digits, no leading zero, at
 *   most 65535); port 80, the default of `http:` and `ws:`, is left out as `URL` leaves it out.
 *
 * @example
 * ```ts
 * import { plainRequestHref } from "./plain_request_href.ts";
 * console.log(plainRequestHref("http:", "example.com:80", "/chat?room=1"));
 * // http://example.com/chat?room=1
 * console.log(plainRequestHref("http:", "Example.com", "/chat")); // undefined: URL lower-cases it
 * ```
 * @param scheme `http:` or `ws:`.
 * @param host The `Host` field.
 * @param target The request-target.
 * @returns The `href`, or `undefined` when only a `URL` parse can tell it.
 */
export function plainRequestHref(
  scheme: "http:" | "ws:",
  host: string,
  target: string,
): string | undefined {
  const hostEnd = plainHostEnd(host);
  if (hostEnd === -1 || !isPlainTarget(target)) return undefined;
  if (hostEnd === host.length) return `${scheme}//${host}${target}`;
  const port = host.slice(hostEnd + 1);
  if (!isPlainPort(port)) return undefined;
  return port === "80"
    ? `${scheme}//${host.slice(0, hostEnd)}${target}`
    : `${scheme}//${host}${target}`;
}

/**
 * The path of a target {@linkcode plainRequestHref} accepted: what `URL.pathname` gives.
 *
 * @example
 * ```ts
 * import { plainPathname } from "./plain_request_href.ts";
 * console.log(plainPathname("/chat?room=1")); // /chat
 * ```
 * @param target The request-target.
 * @returns The part before `?`.
 */
export function plainPathname(target: string): string {
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/** Where the host name or address of `host` ends (its length, or the `:`), or -1. */
function plainHostEnd(host: string): number {
  const length = host.length;
  let labelStart = 0;
  let labels = 0;
  let numeric = true; // the current label is all digits
  let allNumeric = true; // every label so far was all digits
  let i = 0;
  for (; i <= length; i++) {
    const c = i === length ? 0x3a : host.charCodeAt(i);
    if (c === 0x2e || c === 0x3a) {
      // the end of a label
      if (i === labelStart) return -1;
      labels++;
      if (!numeric) allNumeric = false;
      if (c === 0x3a) break;
      labelStart = i + 1;
      numeric = true;
      continue;
    }
    if (c >= 0x30 && c <= 0x39) continue;
    if ((c >= 0x61 && c <= 0x7a) || c === 0x2d) {
      numeric = false;
      continue;
    }
    return -1;
  }
  const last = host.slice(labelStart, i);
  if (allNumeric) {
    // Four decimal parts of 0-255 without leading zeros: the parser's own serialization.
    if (labels !== 4) return -1;
    for (const part of host.slice(0, i).split(".")) {
      if (part.length > 3 || (part.length > 1 && part[0] === "0") || Number(part) > 255) return -1;
    }
    return i === length ? length : i;
  }
  // A name: the parser takes one whose last label is a number (or 0x...) as an IPv4 address,
  // and decodes xn-- labels; a last label that starts with a letter is neither.
  const first = last.charCodeAt(0);
  if (!(first >= 0x61 && first <= 0x7a) || last.startsWith("0x")) return -1;
  if (host.includes("xn--")) return -1;
  return i === length ? length : i;
}

function isPlainPort(port: string): boolean {
  if (port.length === 0 || port.length > 5 || port.charCodeAt(0) === 0x30) return false;
  for (let i = 0; i < port.length; i++) {
    const c = port.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return Number(port) <= 65535;
}

function isPlainTarget(target: string): boolean {
  if (target.charCodeAt(0) !== 0x2f) return false;
  let inQuery = false;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (!PLAIN[c]) return false;
    if (c === 0x3f) inQuery = true;
    else if (c === 0x2f && !inQuery) {
      // a segment that starts with "." or "%2e" may be a dot segment
      const next = target.charCodeAt(i + 1);
      if (next === 0x2e) return false;
      if (
        next === 0x25 && target.charCodeAt(i + 2) === 0x32 &&
        (target.charCodeAt(i + 3) | 0x20) === 0x65
      ) {
        return false;
      }
    }
  }
  return true;
}

// Characters the parser copies as they are in the path and the query of a special URL.
const PLAIN: readonly boolean[] = (() => {
  const table: boolean[] = new Array(128).fill(false);
  const allowed =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,;=:@/%?";
  for (const c of allowed) table[c.charCodeAt(0)] = true;
  return table;
})();
