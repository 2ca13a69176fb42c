/**
 * Writing HTTP/1.1 heads as bytes: any response head ({@linkcode serializeResponseHead}), a
 * complete refusal with its body ({@linkcode refusalResponse}), and the checked field lines the
 * handshakes use for their own heads (the server's 101, the client's request).
 *
 * Every value written is checked first: a CR or LF in a value would let a caller's string inject
 * header lines or a body, so it throws `TypeError` instead (rfc7230#section-3.2). Heads are
 * encoded one byte per character, so a character above 0xFF is refused too.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7230#section-3}
 */

import { isToken } from "./header_lists.ts";
import { quote } from "./quote.ts";

const CRLF = "\r\n";

/**
 * The framing fields no caller's extra headers may set: the writer decides the body's length
 * (and a 1xx response has no body).
 *
 * Internal to layer 0 (not exported from `mod.ts`).
 *
 * @example
 * ```ts
 * console.log(FRAMING_FIELDS.includes("content-length")); // true
 * ```
 */
export const FRAMING_FIELDS: readonly string[] = ["content-length", "transfer-encoding"];
const REFUSAL_OWNED_FIELDS: ReadonlySet<string> = new Set([...FRAMING_FIELDS, "connection"]);
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

/**
 * Writes a complete HTTP/1.1 response, head and body, that refuses a request: the status line,
 * `headers`, `Content-Type: text/plain; charset=utf-8` (unless `headers` sets another),
 * `Content-Length` and `Connection: close`, then `body`. When `headers` carries `Upgrade` (as a
 * 426 must), the `Connection` field lists `Upgrade` too (rfc7230#section-6.7).
 *
 * @example Answer a failed handshake
 * ```ts
 * import { HandshakeError, refusalResponse } from "@wsflow/wsflow";
 * const error = new HandshakeError("Cannot upgrade: missing Sec-WebSocket-Key", 400);
 * const bytes = refusalResponse(error.status, error.headers, error.message + "\n");
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
export function refusalResponse(
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
  // rfc7230#section-6.7: a server that sends Upgrade MUST list it in Connection too
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
 * A status for a message: `"404 Not Found"` for a known status, the bare number otherwise.
 *
 * Internal to layer 0 (not exported from `mod.ts`).
 *
 * @example
 * ```ts
 * console.log(describeStatus(302), describeStatus(299)); // "302 Found" "299"
 * ```
 * @param status The status code.
 * @returns The status with its reason phrase when one is known.
 */
export function describeStatus(status: number): string {
  const reason = reasonPhrase(status);
  return reason === "" ? String(status) : `${status} ${reason}`;
}

/**
 * Appends the line `name: value` to `lines` after checking both: the name must be a token and
 * the value must hold no control character but HTAB and no character above 0xFF.
 *
 * Internal to layer 0 (not exported from `mod.ts`).
 *
 * @example
 * ```ts
 * const lines = ["HTTP/1.1 200 OK"];
 * pushField(lines, "X-Request-Id", "42");
 * try {
 *   pushField(lines, "X-Injected", "a\r\nSet-Cookie: b");
 * } catch (error) {
 *   console.log(error instanceof TypeError, lines.length); // true 2
 * }
 * ```
 * @param lines The head's lines so far.
 * @param name The field name, as it is to be written.
 * @param value The field value.
 * @throws {TypeError} When the name is not a token or the value cannot be written safely.
 */
export function pushField(lines: string[], name: string, value: string): void {
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

/**
 * Appends a caller's header fields to `lines`, each checked as by {@linkcode pushField}, names
 * in their conventional case, one line per `Set-Cookie`.
 *
 * Internal to layer 0 (not exported from `mod.ts`).
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * pushHeaders(lines, new Headers({ "x-trace": "1" }), new Set(["connection"]));
 * console.log(lines); // ["X-Trace: 1"]
 * ```
 * @param lines The head's lines so far.
 * @param headers The caller's fields.
 * @param owned Lower-case names the writer sets itself, which the caller may not.
 * @throws {TypeError} When `headers` sets an owned field or a value cannot be written safely.
 */
export function pushHeaders(lines: string[], headers: Headers, owned: ReadonlySet<string>): void {
  for (const [name, value] of headers) {
    if (owned.has(name)) {
      throw new TypeError(`Cannot add header ${canonicalName(name)}: the handshake sets it itself`);
    }
    // Set-Cookie lines must not be combined; they are written one by one below.
    if (name !== "set-cookie") pushField(lines, canonicalName(name), value);
  }
  for (const cookie of headers.getSetCookie()) pushField(lines, "Set-Cookie", cookie);
}

/**
 * Encodes a head's lines, then the blank line, one byte per character: every character was
 * checked by {@linkcode pushField} (or a status line check) to be at most 0xFF.
 *
 * Internal to layer 0 (not exported from `mod.ts`).
 *
 * @example
 * ```ts
 * console.log(encodeHead(["HTTP/1.1 204 No Content"]).length); // 27
 * ```
 * @param lines The start line and the field lines.
 * @returns The head's bytes, ending with CRLF CRLF.
 */
export function encodeHead(lines: string[]): Uint8Array {
  const text = lines.join(CRLF) + CRLF + CRLF;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function reasonPhrase(status: number): string {
  return REASON_PHRASES.get(status) ?? "";
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

/** Whether `value` may be written as a field value: no control character but HTAB, no char above 0xFF. */
function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) return false;
  }
  return true;
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

function concat(head: Uint8Array, body: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return bytes;
}
