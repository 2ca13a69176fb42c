/**
 * The client's side of the opening handshake, without I/O (rfc6455#section-4.1):
 * {@linkcode createClientHandshake} writes the request and {@linkcode validateUpgradeResponse}
 * checks the server's answer; {@linkcode checkProtocolOffer} is the subprotocol check they share
 * with the WebSocket API. The URL is read by `parseWebSocketUrl` (websocket_url.ts), the
 * expected `Sec-WebSocket-Accept` computed by `acceptKey` (accept_key.ts).
 *
 * Every header value written is checked first: a CR or LF in a value would let a caller's string
 * inject header lines, so it throws `TypeError` instead.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.1}
 */

import { acceptKey } from "./accept_key.ts";
import { HandshakeError } from "./errors.ts";
import {
  type ExtensionOffer,
  isToken,
  parseExtensionList,
  parseTokenList,
  parseUpgradeList,
} from "./header_lists.ts";
import {
  describeStatus,
  encodeHead,
  FRAMING_FIELDS,
  pushField,
  pushHeaders,
} from "./http1_response_writer.ts";
import { quote } from "./quote.ts";
import { parseWebSocketUrl } from "./websocket_url.ts";

// rfc6455#section-4.1: |Sec-WebSocket-Version| MUST be 13
const VERSION = "13";

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
  checkProtocolOffer(protocols);
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
 * Checks the subprotocols a client offers (rfc6455#section-4.1): each a non-empty token, none
 * repeated; names are compared exactly, so `chat` and `Chat` are two. The one check behind
 * {@linkcode createClientHandshake} and the WebSocket API's constructors (which throw its
 * failure as a `DOMException` named `SyntaxError`).
 *
 * Internal (not exported from `mod.ts`).
 *
 * @example
 * ```ts
 * import { checkProtocolOffer } from "./client_handshake.ts";
 * checkProtocolOffer(["chat", "superchat"]); // fine
 * try {
 *   checkProtocolOffer(["chat", "chat"]);
 * } catch (error) {
 *   console.log(error instanceof SyntaxError); // true
 * }
 * ```
 * @param protocols The subprotocols to offer, in order of preference.
 * @throws {SyntaxError} When one is not a token or is repeated.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-4.1}
 */
export function checkProtocolOffer(protocols: readonly string[]): void {
  const seen = new Set<string>();
  for (const protocol of protocols) {
    // rfc6455#section-4.1: elements MUST be non-empty tokens and MUST all be unique strings
    if (!isToken(protocol)) {
      throw new SyntaxError(
        `Cannot offer subprotocol ${quote(protocol)}: not a token (rfc6455#section-4.1)`,
      );
    }
    if (seen.has(protocol)) {
      throw new SyntaxError(
        `Cannot offer subprotocol ${quote(protocol)} twice (rfc6455#section-4.1)`,
      );
    }
    seen.add(protocol);
  }
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

  return validateSelections(headers, expected, fail);
}

/**
 * Checks what the server selected from the client's offer: no extension the client did not
 * offer, no subprotocol it did not offer (rfc6455#section-4.1). The part of
 * {@linkcode validateUpgradeResponse} an HTTP/2 extended CONNECT answer (rfc8441#section-5)
 * shares, as it has no `Upgrade`, `Connection` or accept key. Internal (not exported from
 * `mod.ts`).
 *
 * @example
 * ```ts
 * import { HandshakeError } from "./errors.ts";
 * import { validateSelections } from "./client_handshake.ts";
 * const fail = (detail: string): HandshakeError => new HandshakeError(detail, 200);
 * const headers = new Headers({ "sec-websocket-protocol": "chat" });
 * console.log(validateSelections(headers, { key: "", protocols: ["chat"] }, fail).protocol); // chat
 * ```
 * @param headers The answer's header fields.
 * @param expected What the client offered.
 * @param fail Makes the error to throw from a detail (and its cause).
 * @returns The selected subprotocol and the accepted extensions.
 * @throws {HandshakeError} What `fail` makes, when a selection was not offered or is malformed.
 */
export function validateSelections(
  headers: Headers,
  expected: ExpectedUpgrade,
  fail: (detail: string, cause?: unknown) => HandshakeError,
): UpgradeResponseInfo {
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

// Fields a caller's extra headers may not set, because the handshake writes them.
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
