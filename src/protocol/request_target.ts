/**
 * The URL of an HTTP/1.1 request, from its request-target and `Host` field
 * (rfc7230#section-5.3, rfc7230#section-5.4; rfc9112#section-3.2 restates both).
 *
 * A server builds the URL a handler sees from two strings the client chose, so both are checked
 * before `URL` normalizes them: `Host` must be exactly a host and optional port (no path, query,
 * user info, spaces or backslashes, which `URL` would otherwise quietly move or drop), and the
 * target must be origin-form (`/path?query`) or absolute-form (`http:`, `https:`, `ws:`,
 * `wss:`). The authority-form (CONNECT) and asterisk-form (OPTIONS *) never name a WebSocket
 * resource, so they are refused too.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7230#section-5.3}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc9112#section-3.2}
 */

import { HandshakeError } from "./errors.ts";
import { requestField } from "./http1_request_parser.ts";

/**
 * What {@linkcode requestUrl} reads of a request: a parsed `Http1Request` fits.
 *
 * @example
 * ```ts
 * const request: RequestTarget = { target: "/chat", headers: new Headers({ Host: "a" }) };
 * console.log(request.target); // "/chat"
 * ```
 */
export interface RequestTarget {
  /** The request-target as sent on the request line. */
  readonly target: string;
  /** The request's header fields; `Host` is read. */
  readonly headers: Headers;
}

/**
 * The request's URL from its target and `Host`, with the scheme the server speaks (`ws:` for a
 * handshake, `http:` for a plain request).
 *
 * Internal to wsflow (not exported from `mod.ts`); the server calls it on every request head.
 *
 * @example
 * ```ts
 * import type { HandshakeError } from "@wsflow/wsflow";
 * const url = requestUrl({
 *   target: "/chat?room=1",
 *   headers: new Headers({ Host: "example.com:8080" }),
 * }, "ws:");
 * console.log(url.href); // "ws://example.com:8080/chat?room=1"
 * try {
 *   requestUrl({ target: "/", headers: new Headers({ Host: "a/b" }) }, "http:");
 * } catch (error) {
 *   console.log((error as HandshakeError).status); // 400
 * }
 * ```
 * @param request The request-target and header fields.
 * @param scheme The scheme of the returned URL (an absolute-form target keeps its own).
 * @returns The URL the request names.
 * @throws {HandshakeError} (400) When `Host` is missing or not a host and port
 * (rfc7230#section-5.4), or the target is neither origin-form nor absolute-form or is not a valid
 * URL (rfc7230#section-5.3).
 */
export function requestUrl(request: RequestTarget, scheme: "ws:" | "http:"): URL {
  const host = requestField(request, "host") ?? "";
  // The usual request in one parse: a path, and a Host of host name, address and port
  // characters only, which the URL parser cannot read as anything but the authority: the same
  // URL the checks below build from their own parse of the Host. Anything else, or a parse that
  // fails, takes the checks, which name the part at fault.
  if (request.target.charCodeAt(0) === 0x2f && isPlainAuthority(host)) {
    try {
      return new URL(`${scheme}//${host}${request.target}`);
    } catch {
      // see below
    }
  }
  // rfc7230#section-5.4 (rfc9112#section-3.2): a server MUST respond with 400 to a request that
  // lacks a Host field or has an invalid one
  const base = hostBase(host, scheme);
  if (base === undefined) {
    throw new HandshakeError(
      `Cannot accept request: Host ${
        JSON.stringify(host)
      } is not a host and port (rfc7230#section-5.4)`,
      400,
    );
  }
  const target = request.target;
  // rfc7230#section-5.3 (rfc9112#section-3.2): origin-form starts with "/", absolute-form with a
  // scheme; a WebSocket resource has no authority-form or asterisk-form
  if (!target.startsWith("/") && !/^https?:\/\/|^wss?:\/\//i.test(target)) {
    throw new HandshakeError(
      `Cannot accept request: target ${
        JSON.stringify(target)
      } is not a path or an absolute URL (rfc7230#section-5.3)`,
      400,
    );
  }
  try {
    // An origin-form target is a path, never a reference resolved against the Host: resolving
    // "//evil/x" would make "evil" the host and override the Host field.
    return target.startsWith("/") ? new URL(`${scheme}//${base.host}${target}`) : new URL(target);
  } catch {
    throw new HandshakeError(
      `Cannot accept request: target ${
        JSON.stringify(target)
      } is not a valid URL (rfc7230#section-5.3)`,
      400,
    );
  }
}

/** Whether `host` is not empty and holds only `A-Z a-z 0-9 - . : [ ]`. */
function isPlainAuthority(host: string): boolean {
  if (host.length === 0) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    const letter = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
    const digitOrColon = c >= 0x30 && c <= 0x3a;
    if (!letter && !digitOrColon && c !== 0x2d && c !== 0x2e && c !== 0x5b && c !== 0x5d) {
      return false;
    }
  }
  return true;
}

/**
 * `scheme//host/` when the whole `Host` value is a host and optional port (uri-host [":" port],
 * rfc7230#section-5.4), otherwise `undefined`: no path, query, user info or spaces.
 */
function hostBase(host: string, scheme: "ws:" | "http:"): URL | undefined {
  if (host === "" || host.includes(" ") || host.includes("\\")) return undefined;
  let base: URL;
  try {
    base = new URL(`${scheme}//${host}/`);
  } catch {
    return undefined;
  }
  if (
    base.pathname !== "/" || base.search !== "" || base.hash !== "" || base.username !== "" ||
    base.password !== ""
  ) {
    return undefined;
  }
  return base;
}
