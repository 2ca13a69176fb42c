/**
 * The opening handshake, both roles, without I/O (rfc6455#section-4).
 *
 * Server: {@linkcode isUpgradeRequest} tells a WebSocket handshake from any other request,
 * {@linkcode validateUpgradeRequest} checks it (rfc6455#section-4.2.1) and throws a
 * `HandshakeError` carrying the HTTP status to refuse with, {@linkcode acceptKey} computes
 * `Sec-WebSocket-Accept`, and {@linkcode upgradeResponseHead} / {@linkcode refusalResponseHead}
 * write the answer as bytes. {@linkcode serializeResponseHead} writes the head of any response,
 * such as a fallback handler's.
 *
 * Client: {@linkcode createClientHandshake} writes the request (rfc6455#section-4.1) and
 * {@linkcode validateUpgradeResponse} checks the server's answer.
 *
 * Every header value written is checked first: a CR or LF in a value would let a caller's string
 * inject header lines, so it throws `TypeError` instead.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4}
 */

import { HandshakeError } from "./errors.ts";
import {
  type ExtensionOffer,
  isToken,
  parseExtensionList,
  parseTokenList,
  parseUpgradeList,
} from "./header_lists.ts";
import { parseHttpVersion } from "./http1_request_parser.ts";

// rfc6455#section-1.3: the GUID concatenated with Sec-WebSocket-Key before hashing
const ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
const VERSION = "13";
const CRLF = "\r\n";

/**
 * What the server checks of a request: a parsed `Http1Request` or a web `Request` both fit.
 * Without `version` the request is taken to be HTTP/1.1; without `rawHeaders`, a field sent on
 * several lines shows up only as a combined value.
 *
 * @example
 * ```ts
 * import type { UpgradeRequestLike } from "@wsflow/wsflow";
 * const request: UpgradeRequestLike = new Request("http://example.com/chat", {
 *   headers: { Upgrade: "websocket" },
 * });
 * console.log(request.method); // "GET"
 * ```
 */
export interface UpgradeRequestLike {
  /** The request method, case-sensitive. */
  readonly method: string;
  /** The request's header fields. */
  readonly headers: Headers;
  /**
   * The HTTP version of the request line (`HTTP/1.1`).
   * @default {"HTTP/1.1"}
   */
  readonly version?: string | undefined;
  /**
   * The header fields one line each, to find fields that must appear only once.
   * @default {undefined}
   */
  readonly rawHeaders?: readonly (readonly [string, string])[] | undefined;
}

/**
 * What a valid upgrade request asks for (rfc6455#section-4.2.1).
 *
 * @example
 * ```ts
 * import { validateUpgradeRequest } from "@wsflow/wsflow";
 * const info = validateUpgradeRequest(new Request("http://example.com/chat", {
 *   headers: {
 *     Host: "example.com", Upgrade: "websocket", Connection: "Upgrade",
 *     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version": "13",
 *     "Sec-WebSocket-Protocol": "chat, superchat",
 *   },
 * }));
 * console.log(info.protocols); // ["chat", "superchat"]
 * ```
 */
export interface UpgradeRequestInfo {
  /** The `Sec-WebSocket-Key` to answer with {@linkcode acceptKey}. */
  key: string;
  /** The subprotocols the client offers, in its order of preference; may be empty. */
  protocols: string[];
  /** The extensions the client offers, in its order of preference; may be empty. */
  extensions: ExtensionOffer[];
  /** The `Host` field. */
  host: string;
  /** The `Origin` field, or `null` when the client sent none (non-browser clients). */
  origin: string | null;
}

/**
 * The server's choices for the 101 response.
 *
 * @example
 * ```ts
 * import type { UpgradeResponseOptions } from "@wsflow/wsflow";
 * const options: UpgradeResponseOptions = { accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", protocol: "chat" };
 * console.log(options.protocol); // "chat"
 * ```
 */
export interface UpgradeResponseOptions {
  /** The `Sec-WebSocket-Accept` value, from {@linkcode acceptKey}. */
  accept: string;
  /**
   * The subprotocol selected; it MUST be one the client offered (rfc6455#section-4.2.2). `""`
   * or missing sends no `Sec-WebSocket-Protocol`.
   * @default {undefined}
   */
  protocol?: string | undefined;
  /**
   * The `Sec-WebSocket-Extensions` value of the accepted extensions. `""` or missing sends none.
   * @default {undefined}
   */
  extensions?: string | undefined;
  /**
   * Further header fields, such as `Set-Cookie`. The fields the handshake writes itself and
   * `Content-Length` / `Transfer-Encoding` are refused.
   * @default {undefined}
   */
  headers?: HeadersInit | undefined;
}

/**
 * Options of {@linkcode createClientHandshake}.
 *
 * @example
 * ```ts
 * import type { ClientHandshakeOptions } from "@wsflow/wsflow";
 * const options: ClientHandshakeOptions = { url: new URL("ws://localhost:8080/chat"), protocols: ["chat"] };
 * console.log(options.protocols); // ["chat"]
 * ```
 */
export interface ClientHandshakeOptions {
  /** The `ws:` or `wss:` URL (`http:` and `https:` are taken as `ws:` and `wss:`). */
  url: URL | string;
  /**
   * Subprotocols to offer, in order of preference; each a token, no duplicates.
   * @default {[]}
   */
  protocols?: readonly string[] | undefined;
  /**
   * Further request header fields, such as `Origin`, `Cookie` or `Authorization`. The fields
   * the handshake writes itself are refused.
   * @default {undefined}
   */
  headers?: HeadersInit | undefined;
  /**
   * The `Sec-WebSocket-Extensions` value to offer (see `formatExtensionList`).
   * @default {undefined}
   */
  extensions?: string | undefined;
}

/**
 * A client's opening handshake, ready to send; also what {@linkcode validateUpgradeResponse}
 * needs to check the answer.
 *
 * @example
 * ```ts
 * import { createClientHandshake } from "@wsflow/wsflow";
 * const handshake = createClientHandshake({ url: "ws://localhost/" });
 * console.log(handshake.key.length); // 24
 * ```
 */
export interface ClientHandshake {
  /** The `Sec-WebSocket-Key` sent: 16 random bytes, base64. */
  key: string;
  /** The subprotocols offered. */
  protocols: string[];
  /** The `Sec-WebSocket-Extensions` value offered; `""` for none. */
  extensionsOffered: string;
  /** The request head to write to the connection. */
  requestBytes: Uint8Array;
}

/**
 * What the client checks of the server's answer: a parsed `Http1Response` or a web `Response`.
 *
 * @example
 * ```ts
 * import type { UpgradeResponseLike } from "@wsflow/wsflow";
 * const response: UpgradeResponseLike = { status: 101, headers: new Headers() };
 * console.log(response.status); // 101
 * ```
 */
export interface UpgradeResponseLike {
  /** The status code. */
  readonly status: number;
  /** The response's header fields. */
  readonly headers: Headers;
}

/**
 * What the client sent, to check the answer against.
 *
 * @example
 * ```ts
 * import type { ExpectedUpgrade } from "@wsflow/wsflow";
 * const expected: ExpectedUpgrade = { key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: ["chat"] };
 * console.log(expected.protocols); // ["chat"]
 * ```
 */
export interface ExpectedUpgrade {
  /** The `Sec-WebSocket-Key` the client sent. */
  key: string;
  /**
   * The subprotocols the client offered.
   * @default {[]}
   */
  protocols?: readonly string[] | undefined;
  /**
   * The `Sec-WebSocket-Extensions` value the client offered.
   * @default {""}
   */
  extensionsOffered?: string | undefined;
}

/**
 * The outcome of a successful handshake, as the client sees it. Like the WebSocket API's
 * `protocol` and `extensions` attributes, "none" is `""`.
 *
 * @example
 * ```ts
 * import type { UpgradeResponseInfo } from "@wsflow/wsflow";
 * const accepted: UpgradeResponseInfo = { protocol: "chat", extensions: "", extensionList: [] };
 * console.log(accepted.protocol); // "chat"
 * ```
 */
export interface UpgradeResponseInfo {
  /** The subprotocol the server selected, or `""`. */
  protocol: string;
  /** The server's `Sec-WebSocket-Extensions` value, or `""`. */
  extensions: string;
  /** The same extensions, parsed. */
  extensionList: ExtensionOffer[];
}

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

/**
 * Whether `request` asks to become a WebSocket: an HTTP/1.1 or later request whose `Upgrade`
 * field lists `websocket` (case-insensitively). Anything else is an ordinary HTTP request for
 * a fallback handler or a 426 refusal. An HTTP/1.0 request is never one, as a server MUST ignore
 * `Upgrade` in HTTP/1.0 (rfc7230#section-6.7).
 *
 * This is a quick, lenient look; {@linkcode validateUpgradeRequest} does the full check.
 *
 * @example
 * ```ts
 * import { isUpgradeRequest } from "@wsflow/wsflow";
 * const request = new Request("http://example.com/", { headers: { Upgrade: "WebSocket" } });
 * console.log(isUpgradeRequest(request)); // true
 * console.log(isUpgradeRequest(new Request("http://example.com/"))); // false
 * ```
 * @param request The request.
 * @returns `true` when the request attempts a WebSocket upgrade.
 */
export function isUpgradeRequest(request: UpgradeRequestLike): boolean {
  if (!isHttp11OrLater(request.version)) return false;
  const upgrade = request.headers.get("upgrade");
  return upgrade !== null && listHasElement(upgrade, "websocket");
}

/**
 * Checks a client's opening handshake (rfc6455#section-4.2.1) and returns what it asks for.
 *
 * Refusals, as `HandshakeError` with the status and headers to answer with:
 *
 * | Status | When |
 * | --- | --- |
 * | 426 + `Upgrade: websocket`, `Sec-WebSocket-Version: 13` | not an upgrade request (see {@linkcode isUpgradeRequest}) |
 * | 405 + `Allow: GET` | the method is not `GET` |
 * | 400 | `Host` missing or repeated; `Upgrade`, `Connection`, `Sec-WebSocket-Protocol` or `Sec-WebSocket-Extensions` malformed; `Connection` without `upgrade`; `Sec-WebSocket-Key` missing, repeated or not 16 bytes in base64 |
 * | 426 + `Upgrade: websocket`, `Sec-WebSocket-Version: 13` | `Sec-WebSocket-Version` missing or not `13` (rfc6455#section-4.4) |
 *
 * The version is checked before the key, so a client of an older draft learns which version to
 * speak. Whether the origin, path, subprotocol or extensions are acceptable is for the caller.
 *
 * @example
 * ```ts
 * import { HandshakeError, validateUpgradeRequest } from "@wsflow/wsflow";
 * try {
 *   validateUpgradeRequest(new Request("http://example.com/", { headers: { Upgrade: "websocket" } }));
 * } catch (error) {
 *   if (error instanceof HandshakeError) console.log(error.status); // 400: no Host
 * }
 * ```
 * @param request The parsed request head (or a web `Request`).
 * @returns The key, the offered subprotocols and extensions, `Host` and `Origin`.
 * @throws {HandshakeError} When the request is not a valid opening handshake.
 */
export function validateUpgradeRequest(request: UpgradeRequestLike): UpgradeRequestInfo {
  const { headers } = request;
  if (!isUpgradeRequest(request)) {
    const detail = isHttp11OrLater(request.version)
      ? "the request has no Upgrade: websocket header field"
      : `an ${request.version} request cannot upgrade, the handshake needs HTTP/1.1 or later`;
    // rfc6455#section-4.2.1: an HTTP/1.1 or higher GET request with Upgrade: websocket
    throw new HandshakeError(`Cannot upgrade: ${detail} (rfc6455#section-4.2.1)`, 426, [
      ["Upgrade", "websocket"],
      ["Sec-WebSocket-Version", VERSION],
    ]);
  }
  if (request.method !== "GET") {
    // rfc6455#section-4.2.1: the method MUST be GET
    throw new HandshakeError(
      `Cannot upgrade: method ${quote(request.method)} is not GET (rfc6455#section-4.2.1)`,
      405,
      { Allow: "GET" },
    );
  }

  const host = headers.get("host");
  if (host === null || host.length === 0) {
    // rfc6455#section-4.2.1: a |Host| header field containing the server's authority
    throw refuse("the request has no Host header field");
  }
  if (countFields(request, "host") > 1 || host.includes(",")) {
    // rfc7230#section-5.4: more than one Host field MUST get 400
    throw refuse("the request has more than one Host header field", "rfc7230#section-5.4");
  }

  // rfc6455#section-4.2.1: an |Upgrade| header field containing "websocket", case-insensitive
  const upgrade = parseField(headers.get("upgrade")!, "Upgrade", parseUpgradeList);
  if (!upgrade.some((protocol) => protocol.toLowerCase() === "websocket")) {
    throw refuse("the Upgrade header field does not list websocket");
  }

  // rfc6455#section-4.2.1: a |Connection| header field that includes the token "Upgrade"
  const connection = headers.get("connection");
  if (connection === null) throw refuse("the request has no Connection header field");
  const options = parseField(connection, "Connection", parseTokenList);
  if (!options.some((option) => option.toLowerCase() === "upgrade")) {
    throw refuse(`the Connection header field ${quote(connection)} does not list upgrade`);
  }

  // rfc6455#section-4.2.1: |Sec-WebSocket-Version| with a value of 13; rfc6455#section-4.4:
  // otherwise answer with the versions this server speaks
  const version = headers.get("sec-websocket-version");
  if (version !== VERSION) {
    const detail = version === null
      ? "the request has no Sec-WebSocket-Version header field"
      : `Sec-WebSocket-Version ${quote(version)} is not supported, only 13`;
    throw new HandshakeError(`Cannot upgrade: ${detail} (rfc6455#section-4.4)`, 426, [
      ["Upgrade", "websocket"],
      ["Sec-WebSocket-Version", VERSION],
    ]);
  }

  // rfc6455#section-4.2.1: a |Sec-WebSocket-Key| header field with a base64-encoded value that,
  // when decoded, is 16 bytes in length
  const key = headers.get("sec-websocket-key");
  if (key === null) throw refuse("the request has no Sec-WebSocket-Key header field");
  if (countFields(request, "sec-websocket-key") > 1) {
    throw refuse("the request has more than one Sec-WebSocket-Key header field");
  }
  if (!isValidKey(key)) {
    throw refuse(`Sec-WebSocket-Key ${quote(key)} is not 16 bytes in base64`);
  }

  // rfc6455#section-4.2.1: optionally, |Sec-WebSocket-Protocol| with a list of tokens
  const protocolField = headers.get("sec-websocket-protocol");
  const protocols = protocolField === null
    ? []
    : parseField(protocolField, "Sec-WebSocket-Protocol", parseTokenList);
  if (new Set(protocols).size !== protocols.length) {
    // rfc6455#section-4.1: the elements MUST all be unique strings
    throw refuse(
      "Sec-WebSocket-Protocol lists a subprotocol more than once",
      "rfc6455#section-4.1",
    );
  }

  // rfc6455#section-4.2.1: optionally, |Sec-WebSocket-Extensions| (rfc6455#section-9.1)
  const extensionField = headers.get("sec-websocket-extensions");
  const extensions = extensionField === null
    ? []
    : parseField(extensionField, "Sec-WebSocket-Extensions", parseExtensionList);

  return { key, protocols, extensions, host, origin: headers.get("origin") };
}

/**
 * Writes the server's `101 Switching Protocols` response head (rfc6455#section-4.2.2):
 * `Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-Accept`, the selected
 * `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` if any, then `options.headers`.
 *
 * @example
 * ```ts
 * import { acceptKey, upgradeResponseHead } from "@wsflow/wsflow";
 * const head = upgradeResponseHead({ accept: await acceptKey("dGhlIHNhbXBsZSBub25jZQ==") });
 * console.log(new TextDecoder().decode(head).split("\r\n")[0]); // "HTTP/1.1 101 Switching Protocols"
 * ```
 * @param options The accept value, selected subprotocol and extensions, further headers.
 * @returns The head, ending with the blank line.
 * @throws {TypeError} When a value holds CR, LF or another control character, the protocol is
 * not a token, the extensions do not parse, or `headers` sets a field the handshake owns.
 */
export function upgradeResponseHead(options: UpgradeResponseOptions): Uint8Array {
  const lines = ["HTTP/1.1 101 Switching Protocols"];
  pushField(lines, "Upgrade", "websocket");
  pushField(lines, "Connection", "Upgrade");
  pushField(lines, "Sec-WebSocket-Accept", options.accept);
  const protocol = options.protocol ?? "";
  if (protocol !== "") {
    // rfc6455#section-4.2.2: a single value, one of those the client offered
    if (!isToken(protocol)) {
      throw new TypeError(
        `Cannot write Sec-WebSocket-Protocol: ${quote(protocol)} is not a single token ` +
          `(rfc6455#section-4.2.2)`,
      );
    }
    pushField(lines, "Sec-WebSocket-Protocol", protocol);
  }
  const extensions = options.extensions ?? "";
  if (extensions !== "") {
    checkExtensionValue(extensions);
    pushField(lines, "Sec-WebSocket-Extensions", extensions);
  }
  pushHeaders(lines, new Headers(options.headers), SERVER_OWNED_FIELDS);
  return encodeHead(lines);
}

/**
 * Writes a complete HTTP/1.1 response (head and body, despite the name) that refuses a request: the status line, `headers`,
 * `Content-Type: text/plain; charset=utf-8` (unless `headers` sets another), `Content-Length`
 * and `Connection: close`, then `body`. When `headers` carries `Upgrade` (as a 426 must), the
 * `Connection` field lists `Upgrade` too (rfc7230#section-6.7).
 *
 * @example Answer a failed handshake
 * ```ts
 * import { HandshakeError, refusalResponseHead } from "@wsflow/wsflow";
 * const error = new HandshakeError("Cannot upgrade: missing Sec-WebSocket-Key", 400);
 * const bytes = refusalResponseHead(error.status, error.headers, error.message + "\n");
 * console.log(new TextDecoder().decode(bytes).split("\r\n")[0]); // "HTTP/1.1 400 Bad Request"
 * ```
 * @param status The status, 300-599 (not 304, which has no body).
 * @param headers Further header fields, such as `HandshakeError.headers`.
 * @param body The text to send, UTF-8; by default the status and its reason phrase.
 * @returns The whole response, head and body.
 * @throws {RangeError} When `status` is not an integer in 300-599 or is 304.
 * @throws {TypeError} When a header value holds CR, LF or another control character, or
 * `headers` sets `Connection`, `Content-Length` or `Transfer-Encoding`.
 */
export function refusalResponseHead(
  status: number,
  headers?: HeadersInit,
  body?: string,
): Uint8Array {
  if (!Number.isInteger(status) || status < 300 || status > 599 || status === 304) {
    throw new RangeError(`Cannot refuse with status ${status}: expected 300-599, not 304`);
  }
  const fields = new Headers(headers);
  const content = new TextEncoder().encode(body ?? `${describeStatus(status)}\n`);
  const lines = [statusLine(status, "")];
  if (!fields.has("content-type")) pushField(lines, "Content-Type", "text/plain; charset=utf-8");
  pushHeaders(lines, fields, REFUSAL_OWNED_FIELDS);
  pushField(lines, "Content-Length", String(content.length));
  pushField(lines, "Connection", fields.has("upgrade") ? "Upgrade, close" : "close");
  return concat(encodeHead(lines), content);
}

/**
 * Writes any HTTP/1.1 response head: the status line, `headers` in the order `Headers` iterates
 * them (one line per `Set-Cookie`), and the blank line. Nothing is added: framing
 * (`Content-Length`, `Transfer-Encoding`, `Connection`) is the caller's, as when a fallback
 * handler's web `Response` is written to the socket.
 *
 * @example Write a fallback handler's response
 * ```ts
 * import { serializeResponseHead } from "@wsflow/wsflow";
 * const response = new Response("hi", { headers: { "content-type": "text/plain" } });
 * const body = new Uint8Array(await response.arrayBuffer());
 * response.headers.set("content-length", String(body.length));
 * const head = serializeResponseHead(response.status, response.statusText, response.headers);
 * console.log(new TextDecoder().decode(head).split("\r\n")[0]); // "HTTP/1.1 200 OK"
 * ```
 * @param status The status, 100-599.
 * @param statusText The reason phrase; `""` picks the standard one for known statuses.
 * @param headers The header fields.
 * @returns The head, ending with the blank line.
 * @throws {RangeError} When `status` is not an integer in 100-599.
 * @throws {TypeError} When the reason phrase or a header value holds CR, LF or another control
 * character.
 */
export function serializeResponseHead(
  status: number,
  statusText: string,
  headers: HeadersInit,
): Uint8Array {
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new RangeError(`Cannot write status ${status}: expected an integer in 100-599`);
  }
  const lines = [statusLine(status, statusText)];
  pushHeaders(lines, new Headers(headers), NO_FIELDS);
  return encodeHead(lines);
}

/**
 * Writes a client's opening handshake (rfc6455#section-4.1) with a fresh random key:
 *
 * ```
 * GET /path?query HTTP/1.1
 * Host: host[:port]
 * Upgrade: websocket
 * Connection: Upgrade
 * Sec-WebSocket-Key: <16 random bytes, base64>
 * Sec-WebSocket-Version: 13
 * [Sec-WebSocket-Protocol: a, b]
 * [Sec-WebSocket-Extensions: …]
 * [options.headers]
 * ```
 *
 * The port is written only when it is not the scheme's default; an IPv6 host keeps its
 * brackets. User name and password in the URL are not sent.
 *
 * @example
 * ```ts
 * import { createClientHandshake } from "@wsflow/wsflow";
 * const { requestBytes } = createClientHandshake({ url: "ws://[::1]:8080/chat?room=1" });
 * const lines = new TextDecoder().decode(requestBytes).split("\r\n");
 * console.log(lines[0], lines[1]); // "GET /chat?room=1 HTTP/1.1" "Host: [::1]:8080"
 * ```
 * @param options URL, subprotocols, further headers, extension offers.
 * @returns The key and request bytes, and what to check the response against.
 * @throws {SyntaxError} When the URL is invalid, not `ws:`/`wss:`/`http:`/`https:`, has a
 * fragment (rfc6455#section-3), or a subprotocol is not a token or is repeated
 * (rfc6455#section-4.1); when `extensions` does not parse.
 * @throws {TypeError} When a header value holds CR, LF or another control character, or
 * `headers` sets a field the handshake owns.
 */
export function createClientHandshake(options: ClientHandshakeOptions): ClientHandshake {
  const url = parseWebSocketUrl(options.url);
  const protocols = [...(options.protocols ?? [])];
  const seen = new Set<string>();
  for (const protocol of protocols) {
    // rfc6455#section-4.1: elements MUST be non-empty tokens and MUST all be unique strings
    if (!isToken(protocol)) {
      throw new SyntaxError(
        `Cannot connect: subprotocol ${quote(protocol)} is not a token (rfc6455#section-4.1)`,
      );
    }
    if (seen.has(protocol)) {
      throw new SyntaxError(
        `Cannot connect: subprotocol ${quote(protocol)} is offered twice (rfc6455#section-4.1)`,
      );
    }
    seen.add(protocol);
  }
  const extensionsOffered = options.extensions ?? "";
  if (extensionsOffered !== "") parseExtensionList(extensionsOffered);

  // rfc6455#section-4.1: a fresh, randomly selected 16-byte nonce for each connection
  const key = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  // rfc6455#section-4.1: the method MUST be GET and the version at least HTTP/1.1; the target
  // is the /resource name/ (path and query)
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`];
  // rfc6455#section-4.1: |Host| is /host/ plus ":" /port/ when not the default port
  pushField(lines, "Host", url.host);
  pushField(lines, "Upgrade", "websocket");
  pushField(lines, "Connection", "Upgrade");
  pushField(lines, "Sec-WebSocket-Key", key);
  pushField(lines, "Sec-WebSocket-Version", VERSION);
  if (protocols.length > 0) pushField(lines, "Sec-WebSocket-Protocol", protocols.join(", "));
  if (extensionsOffered !== "") pushField(lines, "Sec-WebSocket-Extensions", extensionsOffered);
  pushHeaders(lines, new Headers(options.headers), CLIENT_OWNED_FIELDS);
  return { key, protocols, extensionsOffered, requestBytes: encodeHead(lines) };
}

/**
 * Checks the server's answer to a client's handshake (rfc6455#section-4.1): status 101,
 * `Upgrade: websocket`, `Connection: Upgrade`, the expected `Sec-WebSocket-Accept`, no extension
 * the client did not offer, no subprotocol the client did not offer.
 *
 * @example
 * ```ts
 * import { validateUpgradeResponse } from "@wsflow/wsflow";
 * const accepted = await validateUpgradeResponse({
 *   status: 101,
 *   headers: new Headers({
 *     Upgrade: "websocket", Connection: "Upgrade",
 *     "Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Protocol": "chat",
 *   }),
 * }, { key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: ["chat", "superchat"] });
 * console.log(accepted.protocol); // "chat"
 * ```
 * @param response The parsed response head (or a web `Response`).
 * @param expected The key, subprotocols and extensions the client sent.
 * @returns The selected subprotocol and the accepted extensions.
 * @throws {HandshakeError} When the response does not complete the handshake; it carries the
 * response's status and headers, so a caller can follow a redirect or read a 401 challenge.
 */
export async function validateUpgradeResponse(
  response: UpgradeResponseLike,
  expected: ExpectedUpgrade,
): Promise<UpgradeResponseInfo> {
  const { status, headers } = response;
  const fail = (detail: string, cause?: unknown): HandshakeError =>
    new HandshakeError(
      `Cannot connect: ${detail} (rfc6455#section-4.1)`,
      status,
      headers,
      cause === undefined ? undefined : { cause },
    );

  // rfc6455#section-4.1: any status code other than 101 is handled per HTTP; the handshake fails
  if (status !== 101) {
    throw fail(`the server answered ${describeStatus(status)}, not 101 Switching Protocols`);
  }

  // rfc6455#section-4.1: if |Upgrade| is missing or not "websocket" (case-insensitive), MUST fail
  const upgrade = headers.get("upgrade");
  if (upgrade === null) throw fail("the response has no Upgrade header field");
  let upgradeList: string[];
  try {
    upgradeList = parseUpgradeList(upgrade);
  } catch (cause) {
    throw fail(`the Upgrade header field ${quote(upgrade)} is malformed`, cause);
  }
  if (
    upgradeList.length === 0 ||
    !upgradeList.every((protocol) => protocol.toLowerCase() === "websocket")
  ) {
    throw fail(`the Upgrade header field is ${quote(upgrade)}, not websocket`);
  }

  // rfc6455#section-4.1: if |Connection| is missing or lacks the token "Upgrade", MUST fail
  const connection = headers.get("connection");
  if (connection === null) throw fail("the response has no Connection header field");
  let connectionList: string[];
  try {
    connectionList = parseTokenList(connection);
  } catch (cause) {
    throw fail(`the Connection header field ${quote(connection)} is malformed`, cause);
  }
  if (!connectionList.some((option) => option.toLowerCase() === "upgrade")) {
    throw fail(`the Connection header field ${quote(connection)} does not list upgrade`);
  }

  // rfc6455#section-4.1: if |Sec-WebSocket-Accept| is missing or not the expected value, MUST fail
  const accept = headers.get("sec-websocket-accept");
  if (accept === null) throw fail("the response has no Sec-WebSocket-Accept header field");
  const expectedAccept = await acceptKey(expected.key);
  if (accept !== expectedAccept) {
    throw fail(`Sec-WebSocket-Accept is ${quote(accept)}, expected ${expectedAccept}`);
  }

  // rfc6455#section-4.1: an extension not present in the client's handshake MUST fail
  const extensions = headers.get("sec-websocket-extensions") ?? "";
  let extensionList: ExtensionOffer[];
  try {
    extensionList = parseExtensionList(extensions);
  } catch (cause) {
    throw fail(
      `the Sec-WebSocket-Extensions header field ${quote(extensions)} is malformed`,
      cause,
    );
  }
  const offeredNames = new Set(
    parseExtensionList(expected.extensionsOffered ?? "").map((offer) => offer.name),
  );
  for (const extension of extensionList) {
    if (!offeredNames.has(extension.name)) {
      throw fail(`the server accepted extension ${quote(extension.name)}, which was not offered`);
    }
  }

  // rfc6455#section-4.1: a subprotocol not present in the client's handshake MUST fail
  const protocol = headers.get("sec-websocket-protocol");
  if (protocol !== null && !(expected.protocols ?? []).includes(protocol)) {
    throw fail(
      (expected.protocols ?? []).length === 0
        ? `the server selected subprotocol ${quote(protocol)}, but none was offered`
        : `the server selected subprotocol ${quote(protocol)}, which was not offered`,
    );
  }

  return { protocol: protocol ?? "", extensions, extensionList };
}

// Fields a caller's extra headers may not set, because the handshake writes them (or, for the
// 101, because a 1xx response has no body).
const FRAMING_FIELDS = ["content-length", "transfer-encoding"];
const SERVER_OWNED_FIELDS: ReadonlySet<string> = new Set([
  ...FRAMING_FIELDS,
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
]);
const REFUSAL_OWNED_FIELDS: ReadonlySet<string> = new Set([...FRAMING_FIELDS, "connection"]);
const CLIENT_OWNED_FIELDS: ReadonlySet<string> = new Set([
  ...FRAMING_FIELDS,
  "host",
  "upgrade",
  "connection",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
]);
const NO_FIELDS: ReadonlySet<string> = new Set();

// Field names as conventionally written; Headers hands out lower-case names.
const FIELD_NAMES: ReadonlyMap<string, string> = new Map([
  ["sec-websocket-accept", "Sec-WebSocket-Accept"],
  ["sec-websocket-extensions", "Sec-WebSocket-Extensions"],
  ["sec-websocket-key", "Sec-WebSocket-Key"],
  ["sec-websocket-protocol", "Sec-WebSocket-Protocol"],
  ["sec-websocket-version", "Sec-WebSocket-Version"],
  ["www-authenticate", "WWW-Authenticate"],
  ["etag", "ETag"],
]);

const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [100, "Continue"],
  [101, "Switching Protocols"],
  [200, "OK"],
  [201, "Created"],
  [202, "Accepted"],
  [204, "No Content"],
  [206, "Partial Content"],
  [301, "Moved Permanently"],
  [302, "Found"],
  [303, "See Other"],
  [304, "Not Modified"],
  [307, "Temporary Redirect"],
  [308, "Permanent Redirect"],
  [400, "Bad Request"],
  [401, "Unauthorized"],
  [403, "Forbidden"],
  [404, "Not Found"],
  [405, "Method Not Allowed"],
  [406, "Not Acceptable"],
  [408, "Request Timeout"],
  [409, "Conflict"],
  [410, "Gone"],
  [411, "Length Required"],
  [413, "Content Too Large"],
  [414, "URI Too Long"],
  [415, "Unsupported Media Type"],
  [426, "Upgrade Required"],
  [429, "Too Many Requests"],
  [431, "Request Header Fields Too Large"],
  [500, "Internal Server Error"],
  [501, "Not Implemented"],
  [502, "Bad Gateway"],
  [503, "Service Unavailable"],
  [504, "Gateway Timeout"],
  [505, "HTTP Version Not Supported"],
]);

function reasonPhrase(status: number): string {
  return REASON_PHRASES.get(status) ?? "";
}

function describeStatus(status: number): string {
  const reason = reasonPhrase(status);
  return reason === "" ? String(status) : `${status} ${reason}`;
}

function statusLine(status: number, statusText: string): string {
  const text = statusText === "" ? reasonPhrase(status) : statusText;
  // reason-phrase = *( HTAB / SP / VCHAR / obs-text ) (rfc7230#section-3.1.2)
  if (!isFieldValue(text)) {
    throw new TypeError(
      `Cannot write status line: reason phrase ${quote(text)} holds a control character`,
    );
  }
  return `HTTP/1.1 ${status} ${text}`;
}

function isHttp11OrLater(version: string | undefined): boolean {
  if (version === undefined) return true;
  const major = parseHttpVersion(version);
  return major > 1 || (major === 1 && version !== "HTTP/1.0");
}

// base64 of 16 bytes: 22 alphabet characters, then "==" (rfc4648#section-4)
function isValidKey(key: string): boolean {
  if (key.length !== 24 || !key.endsWith("==")) return false;
  for (let i = 0; i < 22; i++) {
    const code = key.charCodeAt(i);
    const ok = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) ||
      (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2f;
    if (!ok) return false;
  }
  return true;
}

function countFields(request: UpgradeRequestLike, lowerName: string): number {
  if (request.rawHeaders === undefined) return 1;
  let count = 0;
  for (const [name] of request.rawHeaders) {
    if (name.length === lowerName.length && name.toLowerCase() === lowerName) count++;
  }
  return count;
}

/**
 * Whether the comma-separated `value` has an element equal to `lowerToken` ignoring ASCII case
 * and surrounding whitespace. One pass, no allocation per character.
 */
function listHasElement(value: string, lowerToken: string): boolean {
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(",", start);
    if (end === -1) end = value.length;
    let from = start;
    let to = end;
    while (from < to && isOws(value.charCodeAt(from))) from++;
    while (to > from && isOws(value.charCodeAt(to - 1))) to--;
    if (to - from === lowerToken.length && value.slice(from, to).toLowerCase() === lowerToken) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function parseField<T>(value: string, name: string, parse: (value: string) => T): T {
  try {
    return parse(value);
  } catch (cause) {
    throw new HandshakeError(
      `Cannot upgrade: the ${name} header field is malformed (rfc6455#section-4.2.1)`,
      400,
      undefined,
      { cause },
    );
  }
}

function refuse(detail: string, rule = "rfc6455#section-4.2.1"): HandshakeError {
  return new HandshakeError(`Cannot upgrade: ${detail} (${rule})`, 400);
}

function checkExtensionValue(value: string): void {
  try {
    parseExtensionList(value);
  } catch (cause) {
    throw new TypeError(
      `Cannot write Sec-WebSocket-Extensions: ${quote(value)} is malformed (rfc6455#section-9.1)`,
      { cause },
    );
  }
}

function parseWebSocketUrl(input: URL | string): URL {
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
  return url;
}

/** Whether `value` may be written as a field value: no control character but HTAB, no char above 0xFF. */
function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) return false;
  }
  return true;
}

function pushField(lines: string[], name: string, value: string): void {
  if (!isToken(name)) throw new TypeError(`Cannot write header ${quote(name)}: not a token`);
  if (!isFieldValue(value)) {
    // A CR or LF would end the line and let the value inject header lines or a body.
    throw new TypeError(
      `Cannot write header ${name}: the value holds CR, LF or another control character ` +
        `(rfc7230#section-3.2)`,
    );
  }
  lines.push(`${name}: ${value}`);
}

function pushHeaders(lines: string[], headers: Headers, owned: ReadonlySet<string>): void {
  for (const [name, value] of headers) {
    if (owned.has(name)) {
      throw new TypeError(`Cannot add header ${canonicalName(name)}: the handshake sets it itself`);
    }
    // Set-Cookie lines must not be combined; they are written one by one below.
    if (name !== "set-cookie") pushField(lines, canonicalName(name), value);
  }
  for (const cookie of headers.getSetCookie()) pushField(lines, "Set-Cookie", cookie);
}

function canonicalName(lowerName: string): string {
  const known = FIELD_NAMES.get(lowerName);
  if (known !== undefined) return known;
  let name = "";
  let upper = true;
  for (let i = 0; i < lowerName.length; i++) {
    const char = lowerName[i]!;
    name += upper ? char.toUpperCase() : char;
    upper = char === "-";
  }
  return name;
}

/** Encodes the head one byte per character: every character was checked to be at most 0xFF. */
function encodeHead(lines: string[]): Uint8Array {
  const text = lines.join(CRLF) + CRLF + CRLF;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function concat(head: Uint8Array, body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return bytes;
}

function quote(value: string): string {
  const short = value.length > 64 ? `${value.slice(0, 64)}…` : value;
  let out = "";
  for (let i = 0; i < short.length; i++) {
    const code = short.charCodeAt(i);
    out += code >= 0x20 && code < 0x7f ? short[i] : `\\x${code.toString(16).padStart(2, "0")}`;
  }
  return `"${out}"`;
}
