/**
 * The server's side of the opening handshake, without I/O (rfc6455#section-4.2).
 *
 * {@linkcode isUpgradeRequest} tells a WebSocket handshake from any other request,
 * {@linkcode validateUpgradeRequest} checks it (rfc6455#section-4.2.1) and throws a
 * `HandshakeError` carrying the HTTP status to refuse with, and {@linkcode upgradeResponseHead}
 * writes the `101 Switching Protocols` answer with the value of `acceptKey`. A refusal is written
 * by `refusalResponse` (http1_response_writer.ts).
 *
 * The checks of the `Sec-WebSocket-*` fields are {@linkcode validateWebSocketFields}, apart from
 * the HTTP/1.1 ones (`Host`, `Upgrade`, `Connection`), so that an HTTP/2 extended CONNECT
 * (rfc8441#section-5), which carries the same fields but no key, can share them.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.2}
 */

import { HandshakeError } from "./errors.ts";
import {
  type ExtensionOffer,
  isToken,
  parseExtensionList,
  parseTokenList,
  parseUpgradeList,
} from "./header_lists.ts";
import { parseHttpVersion } from "./http1_head_reader.ts";
import { requestField } from "./http1_request_parser.ts";
import { ACCEPT_LENGTH, writeAcceptKey } from "./accept_key_sync.ts";
import { encodeHead, FRAMING_FIELDS, pushField, pushHeaders } from "./http1_response_writer.ts";
import { quote } from "./quote.ts";

// rfc6455#section-4.2.1: the only version this server speaks
const VERSION = "13";

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
  /** The `Sec-WebSocket-Key` to answer with `acceptKey`. */
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
  /** The `Sec-WebSocket-Accept` value, from `acceptKey`. */
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
 * What the `Sec-WebSocket-*` fields of a valid opening handshake ask for.
 *
 * @example
 * ```ts
 * const fields: WebSocketFields = { key: "dGhlIHNhbXBsZSBub25jZQ==", protocols: [], extensions: [] };
 * console.log(fields.key.length); // 24
 * ```
 */
export interface WebSocketFields {
  /** The `Sec-WebSocket-Key`; `""` when it was not asked for (`options.key` false). */
  key: string;
  /** The subprotocols the client offers, in its order of preference; may be empty. */
  protocols: string[];
  /** The extensions the client offers, in its order of preference; may be empty. */
  extensions: ExtensionOffer[];
}

/**
 * Options of {@linkcode validateWebSocketFields}.
 *
 * @example
 * ```ts
 * const options: WebSocketFieldsOptions = { key: false };
 * console.log(options.key); // false
 * ```
 */
export interface WebSocketFieldsOptions {
  /**
   * Whether `Sec-WebSocket-Key` is required and checked: yes for an HTTP/1.1 upgrade
   * (rfc6455#section-4.2.1); no for an HTTP/2 extended CONNECT, which has no key
   * (rfc8441#section-5).
   * @default {true}
   */
  key?: boolean | undefined;
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
  const upgrade = requestField(request, "upgrade");
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

  const host = requestField(request, "host");
  if (host === null || host.length === 0) {
    // rfc6455#section-4.2.1: a |Host| header field containing the server's authority
    throw refuse("the request has no Host header field");
  }
  if (countFields(request, "host") > 1 || host.includes(",")) {
    // rfc7230#section-5.4: more than one Host field MUST get 400
    throw refuse("the request has more than one Host header field", "rfc7230#section-5.4");
  }

  // rfc6455#section-4.2.1: an |Upgrade| header field containing "websocket", case-insensitive
  const upgrade = parseField(requestField(request, "upgrade")!, "Upgrade", parseUpgradeList);
  if (!upgrade.some((protocol) => protocol.toLowerCase() === "websocket")) {
    throw refuse("the Upgrade header field does not list websocket");
  }

  // rfc6455#section-4.2.1: a |Connection| header field that includes the token "Upgrade"
  const connection = requestField(request, "connection");
  if (connection === null) throw refuse("the request has no Connection header field");
  const options = parseField(connection, "Connection", parseTokenList);
  if (!options.some((option) => option.toLowerCase() === "upgrade")) {
    throw refuse(`the Connection header field ${quote(connection)} does not list upgrade`);
  }

  const { key, protocols, extensions } = validateWebSocketFields(request);
  return { key, protocols, extensions, host, origin: requestField(request, "origin") };
}

/**
 * Checks the `Sec-WebSocket-*` fields of an opening handshake, in this order:
 * `Sec-WebSocket-Version` (426 unless `13`, rfc6455#section-4.4), `Sec-WebSocket-Key` (400 unless
 * one value of 16 bytes in base64, rfc6455#section-4.2.1; skipped when `options.key` is false),
 * `Sec-WebSocket-Protocol` (400 unless distinct tokens, rfc6455#section-4.1) and
 * `Sec-WebSocket-Extensions` (400 unless it parses, rfc6455#section-9.1).
 *
 * {@linkcode validateUpgradeRequest} calls it after the HTTP/1.1 checks; an HTTP/2 extended
 * CONNECT (rfc8441#section-5) carries the same fields without a key. Internal to layer 0 (not
 * exported from `mod.ts`).
 *
 * @example Check the fields of an extended CONNECT, which has no key
 * ```ts
 * const fields = validateWebSocketFields({
 *   method: "CONNECT",
 *   headers: new Headers({ "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "chat" }),
 * }, { key: false });
 * console.log(fields.protocols); // ["chat"]
 * ```
 * @param request The request's method, headers and, when known, its raw header lines.
 * @param options Whether to require the key.
 * @returns The key (or `""`), the offered subprotocols and extensions.
 * @throws {HandshakeError} (426 or 400) When a field is missing or malformed.
 */
export function validateWebSocketFields(
  request: UpgradeRequestLike,
  options: WebSocketFieldsOptions = {},
): WebSocketFields {
  // rfc6455#section-4.2.1: |Sec-WebSocket-Version| with a value of 13; rfc6455#section-4.4:
  // otherwise answer with the versions this server speaks
  const version = requestField(request, "sec-websocket-version");
  if (version !== VERSION) {
    const detail = version === null
      ? "the request has no Sec-WebSocket-Version header field"
      : `Sec-WebSocket-Version ${quote(version)} is not supported, only 13`;
    throw new HandshakeError(`Cannot upgrade: ${detail} (rfc6455#section-4.4)`, 426, [
      ["Upgrade", "websocket"],
      ["Sec-WebSocket-Version", VERSION],
    ]);
  }

  let key = "";
  if (options.key ?? true) {
    // rfc6455#section-4.2.1: a |Sec-WebSocket-Key| header field with a base64-encoded value that,
    // when decoded, is 16 bytes in length
    const field = requestField(request, "sec-websocket-key");
    if (field === null) throw refuse("the request has no Sec-WebSocket-Key header field");
    if (countFields(request, "sec-websocket-key") > 1) {
      throw refuse("the request has more than one Sec-WebSocket-Key header field");
    }
    if (!isValidKey(field)) {
      throw refuse(`Sec-WebSocket-Key ${quote(field)} is not 16 bytes in base64`);
    }
    key = field;
  }

  // rfc6455#section-4.2.1: optionally, |Sec-WebSocket-Protocol| with a list of tokens
  const protocolField = requestField(request, "sec-websocket-protocol");
  const protocols = protocolField === null
    ? []
    : parseField(protocolField, "Sec-WebSocket-Protocol", parseTokenList);
  if (protocols.length > 1 && new Set(protocols).size !== protocols.length) {
    // rfc6455#section-4.1: the elements MUST all be unique strings
    throw refuse(
      "Sec-WebSocket-Protocol lists a subprotocol more than once",
      "rfc6455#section-4.1",
    );
  }

  // rfc6455#section-4.2.1: optionally, |Sec-WebSocket-Extensions| (rfc6455#section-9.1)
  const extensionField = requestField(request, "sec-websocket-extensions");
  const extensions = extensionField === null
    ? []
    : parseField(extensionField, "Sec-WebSocket-Extensions", parseExtensionList);

  return { key, protocols, extensions };
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
  const headers = options.headers;
  if (headers !== undefined) {
    // Only read: a Headers (what a server passes, usually empty) needs no copy.
    pushHeaders(
      lines,
      headers instanceof Headers ? headers : new Headers(headers),
      SERVER_OWNED_FIELDS,
    );
  }
  return encodeHead(lines);
}

// The 101 without a subprotocol, extensions or further fields, up to the accept value.
const PLAIN_101_START = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
  "Connection: Upgrade\r\nSec-WebSocket-Accept: ";
const PLAIN_101 = new Uint8Array(PLAIN_101_START.length + ACCEPT_LENGTH + 4);
for (let i = 0; i < PLAIN_101_START.length; i++) PLAIN_101[i] = PLAIN_101_START.charCodeAt(i);
PLAIN_101.set([0x0d, 0x0a, 0x0d, 0x0a], PLAIN_101.length - 4);

/**
 * The `101 Switching Protocols` answer to `key` with no subprotocol, extensions or further
 * fields: the bytes of `upgradeResponseHead({ accept: await acceptKey(key) })`, made at once
 * and without a string (what most handshakes are answered with).
 *
 * @example
 * ```ts
 * import { plainUpgradeResponseHead } from "./server_handshake.ts";
 * const head = plainUpgradeResponseHead("dGhlIHNhbXBsZSBub25jZQ==")!;
 * console.log(new TextDecoder().decode(head).includes("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")); // true
 * ```
 * @param key A `Sec-WebSocket-Key` that `validateUpgradeRequest` accepted.
 * @returns The head, or `undefined` for a key not of a valid key's length and characters.
 */
export function plainUpgradeResponseHead(key: string): Uint8Array | undefined {
  const head = PLAIN_101.slice();
  return writeAcceptKey(key, head, PLAIN_101_START.length) ? head : undefined;
}

// Fields a caller's extra headers may not set, because the handshake writes them (or, for the
// 101, because a 1xx response has no body).
const SERVER_OWNED_FIELDS: ReadonlySet<string> = new Set([
  ...FRAMING_FIELDS,
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
]);

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
