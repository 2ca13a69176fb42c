/**
 * The `Origin` check of the opening handshake (rfc6455#section-10.2): a browser tells the server
 * which page opened the connection, and a server that trusts cookies must refuse pages of other
 * sites (cross-site WebSocket hijacking). Clients that are not browsers send no `Origin` and are
 * not subject to it.
 *
 * Parsing is a single forward pass with hand-written character checks, no regular expressions.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-10.2}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6454#section-6.2}
 */

import type { RequestParts } from "./upgrade_request.ts";

/**
 * Which browser origins may open a connection.
 *
 * - `"same-origin"` (the default): the `Origin`'s host and port must be the request's `Host`.
 *   The scheme is not compared, so a server behind a TLS-terminating proxy (`http` inside,
 *   `https` in the browser) still works; default ports are normalized, so `https://example.com`,
 *   `https://example.com:443` and `Host: example.com` agree.
 * - `"*"`: any origin, `null` and malformed values included. Only for servers that do not rely
 *   on cookies or other ambient credentials.
 * - A list: exactly these origins (`"https://app.example.com"`), wildcard patterns whose first
 *   label is `*` and stands for exactly one label (`"https://*.example.com"` allows
 *   `https://a.example.com`, not `https://example.com` nor `https://a.b.example.com`), and
 *   `"null"` to allow the opaque origin of sandboxed frames and `file:` pages. The request's own
 *   host is not implied.
 *
 * Whatever the option, a request without `Origin` passes, and with any option but `"*"` the
 * values `null` (unless listed) and malformed ones are refused. Scheme and host compare
 * case-insensitively.
 *
 * @example
 * ```ts
 * import type { OriginOption } from "@wsflow/wsflow";
 * const origins: OriginOption = ["https://app.example.com", "https://*.example.org"];
 * console.log(origins.length); // 2
 * ```
 */
export type OriginOption = "same-origin" | "*" | readonly string[];

/**
 * The verdict of an origin check; a refusal says why, for the 403 body and for logs.
 *
 * @example
 * ```ts
 * import { checkOrigin } from "@wsflow/wsflow";
 * const check = checkOrigin(new Request("http://example.com/", {
 *   headers: { origin: "https://evil.example" },
 * }));
 * if (!check.allowed) console.log(check.reason);
 * // Cannot upgrade: origin "https://evil.example" does not match host "example.com" (rfc6455#section-10.2)
 * ```
 */
export type OriginCheck =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: string };

const ALLOWED: OriginCheck = Object.freeze({ allowed: true });

/** A parsed origin (`scheme://host[:port]`), scheme and host lowercased. */
interface ParsedOrigin {
  readonly scheme: string;
  readonly host: string;
  /** The explicit port, or the scheme's default port, or `null` for an unknown scheme. */
  readonly port: number | null;
}

/** A list entry that is a pattern: `scheme://*.suffix[:port]`. */
interface WildcardEntry {
  readonly scheme: string;
  /** The host after `*.`, lowercased. */
  readonly suffix: string;
  readonly port: number | null;
}

/**
 * An {@linkcode OriginOption}, validated and compiled once, to check many requests.
 *
 * @example
 * ```ts
 * import { OriginPolicy } from "@wsflow/wsflow";
 * const policy = new OriginPolicy(["https://*.example.com"]);
 * const request = new Request("http://api.example.com/ws", {
 *   headers: { origin: "https://App.Example.com" },
 * });
 * console.log(policy.check(request).allowed); // true
 * ```
 */
export class OriginPolicy {
  /** The option this policy was compiled from. */
  readonly option: OriginOption;
  readonly #exact: Set<string> = new Set();
  readonly #wildcards: WildcardEntry[] = [];
  #allowNull = false;

  /**
   * Compiles `option`.
   * @param option Which origins to allow; `"same-origin"` when left out.
   * @throws {TypeError} When a list entry is not an origin (`scheme://host[:port]`, no path),
   * a one-label wildcard pattern, or `"null"`.
   */
  constructor(option: OriginOption = "same-origin") {
    this.option = option;
    if (typeof option === "string") {
      if (option !== "same-origin" && option !== "*") {
        throw new TypeError(
          `Cannot use origins ${JSON.stringify(option)}: expected "same-origin", "*" or a list`,
        );
      }
      return;
    }
    for (const entry of option) this.#add(entry);
  }

  #add(entry: string): void {
    if (entry === "null") {
      this.#allowNull = true;
      return;
    }
    const wildcard = entry.includes("://*.");
    const parsed = parseOrigin(wildcard ? entry.replace("://*.", "://") : entry);
    if (parsed === null) {
      throw new TypeError(
        `Cannot use origin ${JSON.stringify(entry)}: expected "scheme://host[:port]" without a ` +
          `path, "scheme://*.domain[:port]" or "null"`,
      );
    }
    if (!wildcard) {
      this.#exact.add(originKey(parsed));
    } else if (parsed.host.charCodeAt(0) === 0x5b || !parsed.host.includes(".")) {
      throw new TypeError(
        `Cannot use origin pattern ${JSON.stringify(entry)}: "*." must precede a domain of ` +
          `at least two labels`,
      );
    } else {
      this.#wildcards.push({ scheme: parsed.scheme, suffix: parsed.host, port: parsed.port });
    }
  }

  /**
   * Checks a request's `Origin` against this policy (rfc6455#section-10.2).
   *
   * @example
   * ```ts
   * import { OriginPolicy } from "@wsflow/wsflow";
   * const policy = new OriginPolicy();
   * const request = new Request("http://example.com/ws", { headers: { origin: "null" } });
   * console.log(policy.check(request).allowed); // false: opaque origins are foreign
   * ```
   * @param request The upgrade request (a web `Request`, or anything with its `url` and
   *   `headers`); only its `Origin` and `Host` headers and URL are read.
   * @returns Whether the origin is allowed, and if not why.
   */
  check(
    request: { readonly url: string; readonly headers: { get(name: string): string | null } },
  ): OriginCheck {
    const value = request.headers.get("origin");
    // rfc6455#section-10.2: only browsers must send Origin; a request without one is not from a
    // page, so there is no other site's page to protect against
    if (value === null || this.option === "*") return ALLOWED;
    if (value === "null") {
      return this.#allowNull ? ALLOWED : refuse(value, 'is opaque; list "null" to allow it');
    }
    const origin = parseOrigin(value);
    if (origin === null) return refuse(value, "is malformed");
    if (this.option === "same-origin") {
      const host = requestHost(request);
      if (host !== null && sameHostAndPort(origin, host)) return ALLOWED;
      const hostText = host === null ? "an unreadable Host" : `host ${JSON.stringify(host.text)}`;
      return refuse(value, `does not match ${hostText}`);
    }
    if (this.#exact.has(originKey(origin))) return ALLOWED;
    for (const entry of this.#wildcards) {
      if (entry.scheme === origin.scheme && entry.port === origin.port) {
        if (isOneLabelAbove(origin.host, entry.suffix)) return ALLOWED;
      }
    }
    return refuse(value, "is not in the allowed list");
  }
}

/**
 * Checks a request's `Origin` header (rfc6455#section-10.2); see {@linkcode OriginOption} for
 * the rules. To check many requests against one list, compile it once with
 * {@linkcode OriginPolicy}.
 *
 * @example
 * ```ts
 * import { checkOrigin } from "@wsflow/wsflow";
 * const request = (origin: string) =>
 *   new Request("http://example.com/ws", { headers: { host: "example.com", origin } });
 * console.log(checkOrigin(request("http://EXAMPLE.com:80")).allowed); // true
 * console.log(checkOrigin(request("https://evil.example")).allowed); // false
 * console.log(checkOrigin(request("https://evil.example"), "*").allowed); // true
 * ```
 * @param request The upgrade request.
 * @param option Which origins to allow; `"same-origin"` when left out.
 * @returns Whether the origin is allowed, and if not why.
 * @throws {TypeError} When `option` is malformed.
 */
export function checkOrigin(request: Request, option?: OriginOption): OriginCheck {
  return new OriginPolicy(option).check(request);
}

function refuse(value: string, detail: string): OriginCheck {
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return {
    allowed: false,
    reason: `Cannot upgrade: origin ${JSON.stringify(shown)} ${detail} (rfc6455#section-10.2)`,
  };
}

/** The request's host and explicit port, from `Host` or else from the URL. */
interface RequestHost {
  readonly text: string;
  readonly host: string;
  /** The explicit port, or `null` when there is none (the scheme's default). */
  readonly port: number | null;
}

function requestHost(request: RequestParts): RequestHost | null {
  const text = request.headers.get("host") ?? hostOfUrl(request.url);
  if (text === null) return null;
  const end = scanHost(text, 0);
  if (end <= 0) return null;
  const port = end === text.length ? null : parsePort(text, end);
  if (port === undefined) return null;
  return { text, host: text.slice(0, end).toLowerCase(), port };
}

function hostOfUrl(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

function sameHostAndPort(origin: ParsedOrigin, request: RequestHost): boolean {
  if (origin.host !== request.host) return false;
  const schemeDefault = DEFAULT_PORTS.get(origin.scheme);
  if (schemeDefault === undefined) return false; // same-origin is defined for web schemes only
  // A Host without a port means "the default port": equal to an Origin on its scheme's default.
  return (request.port ?? schemeDefault) === origin.port;
}

/** `host` is one non-empty label (no dots) followed by `.suffix`. */
function isOneLabelAbove(host: string, suffix: string): boolean {
  const labelLength = host.length - suffix.length - 1;
  if (labelLength < 1 || !host.endsWith(suffix)) return false;
  if (host.charCodeAt(labelLength) !== 0x2e) return false;
  return host.lastIndexOf(".", labelLength - 1) === -1;
}

function originKey(origin: ParsedOrigin): string {
  return `${origin.scheme}://${origin.host}:${origin.port ?? ""}`;
}

const DEFAULT_PORTS: ReadonlyMap<string, number> = new Map([
  ["http", 80],
  ["https", 443],
  ["ws", 80],
  ["wss", 443],
]);

/**
 * Parses the ASCII serialization of an origin, `scheme "://" host [ ":" port ]`
 * (rfc6454#section-6.2), lowercasing scheme and host. `null` for anything else: a path, a
 * trailing `/`, user info, an empty or out-of-range port, or characters no host holds.
 */
function parseOrigin(value: string): ParsedOrigin | null {
  let i = 0;
  // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (rfc3986#section-3.1)
  if (!isAlpha(value.charCodeAt(0))) return null;
  while (i < value.length && isSchemeChar(value.charCodeAt(i))) i++;
  const scheme = value.slice(0, i).toLowerCase();
  if (!value.startsWith("://", i)) return null;
  const hostStart = i + 3;
  const hostEnd = scanHost(value, hostStart);
  if (hostEnd <= hostStart) return null;
  const host = value.slice(hostStart, hostEnd).toLowerCase();
  if (hostEnd === value.length) return { scheme, host, port: DEFAULT_PORTS.get(scheme) ?? null };
  const port = parsePort(value, hostEnd);
  return port === undefined ? null : { scheme, host, port };
}

/**
 * Index after the host starting at `start`: an IP literal in brackets, or a name of letters,
 * digits, `-`, `.` and `_`. Returns -1 for an unclosed bracket.
 */
function scanHost(value: string, start: number): number {
  let i = start;
  if (value.charCodeAt(i) === 0x5b) {
    i++;
    while (i < value.length && isIpLiteralChar(value.charCodeAt(i))) i++;
    return value.charCodeAt(i) === 0x5d && i > start + 1 ? i + 1 : -1;
  }
  while (i < value.length && isHostChar(value.charCodeAt(i))) i++;
  return i;
}

/** `":" 1*5DIGIT` at `colon` running to the end of `value`, as 0-65535; else `undefined`. */
function parsePort(value: string, colon: number): number | undefined {
  if (value.charCodeAt(colon) !== 0x3a) return undefined;
  const digits = value.length - colon - 1;
  if (digits < 1 || digits > 5) return undefined;
  let port = 0;
  for (let i = colon + 1; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return undefined;
    port = port * 10 + code - 0x30;
  }
  return port <= 65535 ? port : undefined;
}

function isAlpha(code: number): boolean {
  return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isSchemeChar(code: number): boolean {
  return isAlpha(code) || isDigit(code) || code === 0x2b || code === 0x2d || code === 0x2e;
}

function isHostChar(code: number): boolean {
  return isAlpha(code) || isDigit(code) || code === 0x2d || code === 0x2e || code === 0x5f;
}

function isIpLiteralChar(code: number): boolean {
  return isDigit(code) || (code >= 0x41 && code <= 0x46) || (code >= 0x61 && code <= 0x66) ||
    code === 0x3a || code === 0x2e;
}
