/**
 * The opening handshake of a WebSocket over HTTP/2 (RFC 8441), without I/O: a stream opened
 * with an extended CONNECT (`:method CONNECT`, `:protocol websocket`) instead of an HTTP/1.1
 * `GET` with `Upgrade`. The `Sec-WebSocket-*` fields are those of RFC 6455 and are checked by
 * the same `validateWebSocketFields` as an HTTP/1.1 upgrade; there is no key and no accept
 * value, and success is `:status 200` rather than 101 (rfc8441#section-5).
 *
 * The server side: {@linkcode validateExtendedConnect} checks a request's pseudo-header fields
 * and fields, {@linkcode extendedConnectResponseFields} writes the answer,
 * {@linkcode extendedConnectRefusalFields} a refusal's. The client side:
 * {@linkcode createExtendedConnect} writes the request, {@linkcode validateExtendedConnectResponse}
 * checks the answer, and {@linkcode ExtendedConnectUnsupportedError} is what a client meets when
 * the server's SETTINGS do not allow extended CONNECT (rfc8441#section-3).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441}
 */

import {
  checkProtocolOffer,
  type ExpectedUpgrade,
  type UpgradeResponseInfo,
  validateSelections,
} from "./client_handshake.ts";
import { HandshakeError } from "./errors.ts";
import { isToken, parseExtensionList } from "./header_lists.ts";
import { describeStatus } from "./http1_response_writer.ts";
import { quote } from "./quote.ts";
import { type UpgradeRequestInfo, validateWebSocketFields } from "./server_handshake.ts";
import { parseWebSocketUrl } from "./websocket_url.ts";

// rfc6455#section-4.1: the only version spoken, over HTTP/2 as over HTTP/1.1 (rfc8441#section-5)
const VERSION = "13";

/**
 * An HTTP/2 request as the server checks it: its pseudo-header fields and its other fields.
 * A pseudo-header field the request did not carry is `undefined`.
 *
 * @example
 * ```ts
 * import type { ExtendedConnectRequest } from "@wsflow/wsflow";
 * const request: ExtendedConnectRequest = {
 *   method: "CONNECT", protocol: "websocket", scheme: "https", path: "/chat",
 *   authority: "example.com", headers: new Headers({ "sec-websocket-version": "13" }),
 * };
 * console.log(request.protocol); // websocket
 * ```
 */
export interface ExtendedConnectRequest {
  /** `:method`. */
  readonly method: string;
  /** `:protocol`, the extended CONNECT's protocol (rfc8441#section-4). */
  readonly protocol: string | undefined;
  /** `:scheme`. */
  readonly scheme: string | undefined;
  /** `:path`: the path and query. */
  readonly path: string | undefined;
  /** `:authority`. */
  readonly authority: string | undefined;
  /** The other header fields. */
  readonly headers: Headers;
}

/**
 * Checks an HTTP/2 extended CONNECT that opens a WebSocket (rfc8441#section-4, 5) and returns
 * what it asks for, as `validateUpgradeRequest` does for HTTP/1.1 (the key is `""`:
 * RFC 8441 does not use it, and a `Sec-WebSocket-Key` a client sends anyway is ignored).
 *
 * Refusals, as `HandshakeError` with the status to answer on the stream:
 *
 * | Status | When |
 * | --- | --- |
 * | 405 + `Allow: CONNECT` | `:method` is not CONNECT |
 * | 400 | no `:protocol` (a plain CONNECT asks for a tunnel), `:protocol` not `websocket`, `:scheme` not `http`/`https`, `:path` missing or not starting with `/`, neither `:authority` nor `Host`; a malformed `Sec-WebSocket-Protocol` or `Sec-WebSocket-Extensions` |
 * | 426 + `Sec-WebSocket-Version: 13` | `Sec-WebSocket-Version` missing or not `13` (rfc6455#section-4.4) |
 *
 * @example
 * ```ts
 * import { validateExtendedConnect } from "@wsflow/wsflow";
 * const info = validateExtendedConnect({
 *   method: "CONNECT", protocol: "websocket", scheme: "https", path: "/chat",
 *   authority: "example.com",
 *   headers: new Headers({ "sec-websocket-version": "13", "sec-websocket-protocol": "chat" }),
 * });
 * console.log(info.host, info.protocols); // example.com ["chat"]
 * ```
 * @param request The request's pseudo-header fields and fields.
 * @returns The offered subprotocols and extensions, the authority as `host`, and `Origin`.
 * @throws {HandshakeError} When the request does not open a WebSocket.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441#section-4}
 */
export function validateExtendedConnect(request: ExtendedConnectRequest): UpgradeRequestInfo {
  const { headers } = request;
  if (request.method !== "CONNECT") {
    // rfc8441#section-4: a WebSocket over HTTP/2 is opened with the CONNECT method
    throw new HandshakeError(
      `Cannot upgrade: method ${quote(request.method)} is not CONNECT (rfc8441#section-4)`,
      405,
      { Allow: "CONNECT" },
    );
  }
  // rfc8441#section-4: a CONNECT request that includes :protocol is an extended CONNECT; one
  // without it asks for a TCP tunnel (rfc7540#section-8.3), which this server does not open
  if (request.protocol === undefined) {
    throw refuse("a CONNECT without :protocol asks for a tunnel, not a WebSocket");
  }
  // rfc8441#section-5: the :protocol pseudo-header field MUST be "websocket"
  if (request.protocol.toLowerCase() !== "websocket") {
    throw refuse(`:protocol ${quote(request.protocol)} is not websocket`, "rfc8441#section-5");
  }
  // rfc8441#section-4: the :scheme and :path pseudo-header fields MUST be included
  if (request.scheme !== "https" && request.scheme !== "http") {
    throw refuse(
      request.scheme === undefined
        ? "the extended CONNECT has no :scheme"
        : `:scheme ${quote(request.scheme)} is not https or http`,
    );
  }
  if (request.path === undefined || !request.path.startsWith("/")) {
    throw refuse(
      request.path === undefined
        ? "the extended CONNECT has no :path"
        : `:path ${quote(request.path)} does not start with /`,
    );
  }
  // rfc8441#section-4: :authority is read as for any request (rfc7540#section-8.1.2.3), Host
  // standing in for it; rfc6455#section-4.2.1 needs the server's authority either way
  const host = request.authority ?? headers.get("host");
  if (host === null || host === "") throw refuse("the extended CONNECT has no :authority");

  // rfc8441#section-5: Sec-WebSocket-Version, -Protocol and -Extensions as in RFC 6455; the
  // key is not used
  const { protocols, extensions } = validateWebSocketFields(
    { method: request.method, headers },
    { key: false },
  );
  return { key: "", protocols, extensions, host, origin: headers.get("origin") };
}

/**
 * What the server answers an accepted extended CONNECT with.
 *
 * @example
 * ```ts
 * import type { ExtendedConnectAnswer } from "@wsflow/wsflow";
 * const answer: ExtendedConnectAnswer = { protocol: "chat" };
 * console.log(answer.protocol); // chat
 * ```
 */
export interface ExtendedConnectAnswer {
  /**
   * The subprotocol selected, one the client offered; `""` or missing sends none.
   * @default {undefined}
   */
  protocol?: string | undefined;
  /**
   * The `sec-websocket-extensions` value of the accepted extensions; `""` or missing sends none.
   * @default {undefined}
   */
  extensions?: string | undefined;
  /**
   * Further fields, such as `set-cookie`. The fields the handshake writes itself, `content-length`
   * and the connection-specific fields HTTP/2 forbids are refused.
   * @default {undefined}
   */
  headers?: HeadersInit | undefined;
}

/**
 * The response fields that accept an extended CONNECT: `:status 200`, the selected
 * `sec-websocket-protocol` and `sec-websocket-extensions`, then `answer.headers`, all names in
 * lower case as HTTP/2 requires. There is no `sec-websocket-accept` (rfc8441#section-5).
 *
 * @example
 * ```ts
 * import { extendedConnectResponseFields } from "@wsflow/wsflow";
 * console.log(extendedConnectResponseFields({ protocol: "chat" }));
 * // [[":status", "200"], ["sec-websocket-protocol", "chat"]]
 * ```
 * @param answer The selected subprotocol and extensions, further fields.
 * @returns The fields as name and value pairs, `:status` first.
 * @throws {TypeError} When the protocol is not a token, the extensions do not parse, or
 * `answer.headers` sets a field the handshake owns or HTTP/2 forbids.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441#section-5}
 */
export function extendedConnectResponseFields(
  answer: ExtendedConnectAnswer,
): [string, string][] {
  // rfc8441#section-5: a successful answer is a 200, with no Sec-WebSocket-Accept
  const fields: [string, string][] = [[":status", "200"]];
  const protocol = answer.protocol ?? "";
  if (protocol !== "") {
    // rfc6455#section-4.2.2: a single value, one of those the client offered
    if (!isToken(protocol)) {
      throw new TypeError(
        `Cannot write sec-websocket-protocol: ${quote(protocol)} is not a single token ` +
          "(rfc6455#section-4.2.2)",
      );
    }
    fields.push(["sec-websocket-protocol", protocol]);
  }
  const extensions = answer.extensions ?? "";
  if (extensions !== "") {
    try {
      parseExtensionList(extensions);
    } catch (cause) {
      throw new TypeError(
        `Cannot write sec-websocket-extensions: ${quote(extensions)} is malformed ` +
          "(rfc6455#section-9.1)",
        { cause },
      );
    }
    fields.push(["sec-websocket-extensions", extensions]);
  }
  for (const [name, value] of new Headers(answer.headers)) {
    if (SERVER_OWNED_FIELDS.has(name) || CONNECTION_SPECIFIC_FIELDS.has(name)) {
      throw new TypeError(
        `Cannot write header field ${quote(name)}: the handshake writes it, or HTTP/2 forbids ` +
          "it (rfc9113#section-8.2.2)",
      );
    }
    fields.push([name, value]);
  }
  return fields;
}

/**
 * The response fields of a refused extended CONNECT: `:status`, then `headers` without the
 * connection-specific fields HTTP/2 forbids (rfc9113#section-8.2.2), such as the `Upgrade`
 * that an HTTP/1.1 426 carries, and a `content-type` for the text body.
 *
 * @example
 * ```ts
 * import { extendedConnectRefusalFields } from "@wsflow/wsflow";
 * const fields = extendedConnectRefusalFields(426, {
 *   Upgrade: "websocket", "Sec-WebSocket-Version": "13",
 * });
 * console.log(fields[0], fields.some(([name]) => name === "upgrade")); // [":status", "426"] false
 * ```
 * @param status The HTTP status.
 * @param headers The refusal's fields, as for HTTP/1.1.
 * @returns The fields as name and value pairs, `:status` first.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441#section-5}
 */
export function extendedConnectRefusalFields(
  status: number,
  headers?: HeadersInit,
): [string, string][] {
  const fields: [string, string][] = [[":status", String(status)]];
  const all = new Headers(headers);
  if (!all.has("content-type")) all.set("content-type", "text/plain; charset=utf-8");
  for (const [name, value] of all) {
    if (CONNECTION_SPECIFIC_FIELDS.has(name) || name === "content-length") continue;
    fields.push([name, value]);
  }
  return fields;
}

/**
 * Options of {@linkcode createExtendedConnect}.
 *
 * @example
 * ```ts
 * import type { ExtendedConnectOptions } from "@wsflow/wsflow";
 * const options: ExtendedConnectOptions = { url: "wss://example.com/chat", protocols: ["chat"] };
 * console.log(options.protocols); // ["chat"]
 * ```
 */
export interface ExtendedConnectOptions {
  /** The `wss:` (or `ws:`) URL. */
  url: string | URL;
  /**
   * Subprotocols to offer, in order of preference.
   * @default {[]}
   */
  protocols?: readonly string[] | undefined;
  /**
   * The `sec-websocket-extensions` value to offer.
   * @default {""}
   */
  extensions?: string | undefined;
  /**
   * Further fields, such as `origin` or `authorization`.
   * @default {undefined}
   */
  headers?: HeadersInit | undefined;
}

/**
 * A client's extended CONNECT, and what to check the answer against.
 *
 * @example
 * ```ts
 * import { createExtendedConnect, type ExtendedConnect } from "@wsflow/wsflow";
 * const request: ExtendedConnect = createExtendedConnect({ url: "wss://example.com/" });
 * console.log(request.expected.key); // "" (no key over HTTP/2)
 * ```
 */
export interface ExtendedConnect {
  /** The request's fields, pseudo-header fields first, names in lower case. */
  fields: [string, string][];
  /** What the answer is checked against. */
  expected: ExpectedUpgrade;
}

/**
 * Writes a client's extended CONNECT for a WebSocket (rfc8441#section-4, 5): `:method CONNECT`,
 * `:protocol websocket`, `:scheme https` (`http` for a `ws:` URL), `:path` (path and query),
 * `:authority`, `sec-websocket-version: 13`, the offered subprotocols and extensions, then
 * `options.headers`. No key: RFC 8441 does not use one.
 *
 * @example
 * ```ts
 * import { createExtendedConnect } from "@wsflow/wsflow";
 * const { fields } = createExtendedConnect({ url: "wss://example.com/chat?room=1" });
 * console.log(fields.slice(0, 5).map(([, value]) => value).join(" "));
 * // CONNECT websocket https /chat?room=1 example.com
 * ```
 * @param options URL, subprotocols, extension offer, further fields.
 * @returns The fields, and what to check the answer against.
 * @throws {SyntaxError} When the URL or a subprotocol is invalid (rfc6455#section-4.1).
 * @throws {TypeError} When `headers` sets a field the handshake writes or HTTP/2 forbids.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441#section-4}
 */
export function createExtendedConnect(options: ExtendedConnectOptions): ExtendedConnect {
  const url = parseWebSocketUrl(options.url);
  const protocols = [...(options.protocols ?? [])];
  checkProtocolOffer(protocols);
  const extensionsOffered = options.extensions ?? "";
  if (extensionsOffered !== "") parseExtensionList(extensionsOffered);
  // rfc8441#section-4: CONNECT with :protocol, and :scheme and :path included
  const fields: [string, string][] = [
    [":method", "CONNECT"],
    [":protocol", "websocket"],
    [":scheme", url.protocol === "wss:" ? "https" : "http"],
    [":path", `${url.pathname}${url.search}`],
    [":authority", url.host],
    // rfc8441#section-5: the version as in RFC 6455; no Sec-WebSocket-Key
    ["sec-websocket-version", VERSION],
  ];
  if (protocols.length > 0) fields.push(["sec-websocket-protocol", protocols.join(", ")]);
  if (extensionsOffered !== "") fields.push(["sec-websocket-extensions", extensionsOffered]);
  for (const [name, value] of new Headers(options.headers)) {
    if (CLIENT_OWNED_FIELDS.has(name) || CONNECTION_SPECIFIC_FIELDS.has(name)) {
      throw new TypeError(
        `Cannot send header field ${quote(name)}: the handshake writes it, or HTTP/2 forbids ` +
          "it (rfc9113#section-8.2.2)",
      );
    }
    fields.push([name, value]);
  }
  return { fields, expected: { key: "", protocols, extensionsOffered } };
}

/**
 * Checks the server's answer to an extended CONNECT (rfc8441#section-5): a 2xx status (the
 * CONNECT succeeded, rfc7540#section-8.3), no subprotocol or extension the client did not offer.
 *
 * @example
 * ```ts
 * import { validateExtendedConnectResponse } from "@wsflow/wsflow";
 * const accepted = validateExtendedConnectResponse(
 *   { status: 200, headers: new Headers({ "sec-websocket-protocol": "chat" }) },
 *   { key: "", protocols: ["chat"] },
 * );
 * console.log(accepted.protocol); // chat
 * ```
 * @param response The answer's status and fields.
 * @param expected What the client offered.
 * @returns The selected subprotocol and the accepted extensions.
 * @throws {HandshakeError} When the answer does not open the WebSocket; it carries the status
 * and fields.
 * @see {@link https://datatracker.ietf.org/doc/html/rfc8441#section-5}
 */
export function validateExtendedConnectResponse(
  response: { readonly status: number; readonly headers: Headers },
  expected: ExpectedUpgrade,
): UpgradeResponseInfo {
  const { status, headers } = response;
  const fail = (detail: string, cause?: unknown): HandshakeError =>
    new HandshakeError(
      `Cannot connect: ${detail} (rfc8441#section-5)`,
      status,
      headers,
      cause === undefined ? undefined : { cause },
    );
  // rfc8441#section-5: the server accepts with a 2xx (rfc7540#section-8.3); anything else fails
  if (status < 200 || status > 299) {
    throw fail(`the server answered the extended CONNECT with ${describeStatus(status)}`);
  }
  return validateSelections(headers, expected, fail);
}

/**
 * The server has not enabled extended CONNECT: its HTTP/2 SETTINGS lack
 * `SETTINGS_ENABLE_CONNECT_PROTOCOL = 1` (rfc8441#section-3), so a WebSocket cannot ride its
 * HTTP/2 connection. A `HandshakeError` of status 0: nothing was sent. Connect without `http2`
 * to use HTTP/1.1.
 *
 * @example
 * ```ts
 * import { ExtendedConnectUnsupportedError, HandshakeError } from "@wsflow/wsflow";
 * const error = new ExtendedConnectUnsupportedError("wss://example.com/");
 * console.log(error instanceof HandshakeError, error.status); // true 0
 * ```
 */
export class ExtendedConnectUnsupportedError extends HandshakeError {
  /**
   * Creates the instance.
   * @param endpoint The URL without its query and credentials, for the message.
   * @param options Standard error options.
   */
  constructor(endpoint: string, options?: ErrorOptions) {
    super(
      `Cannot connect to ${endpoint} over HTTP/2: the server's SETTINGS do not enable ` +
        "extended CONNECT (rfc8441#section-3)",
      0,
      undefined,
      options,
    );
    this.name = "ExtendedConnectUnsupportedError";
  }
}

function refuse(detail: string, rule = "rfc8441#section-4"): HandshakeError {
  return new HandshakeError(`Cannot upgrade: ${detail} (${rule})`, 400);
}

// rfc9113#section-8.2.2: fields that are connection-specific in HTTP/1.1 MUST NOT appear in
// HTTP/2 (a `te` other than "trailers" neither; it is never needed here)
const CONNECTION_SPECIFIC_FIELDS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
]);

// Fields a server's extra headers may not set: the handshake writes them, a 200 that opens a
// stream has no length, and rfc8441#section-5 leaves out the accept value.
const SERVER_OWNED_FIELDS: ReadonlySet<string> = new Set([
  "content-length",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
]);

// Fields a client's extra headers may not set, because the handshake writes them.
const CLIENT_OWNED_FIELDS: ReadonlySet<string> = new Set([
  "host",
  "content-length",
  "sec-websocket-key",
  "sec-websocket-version",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
]);
