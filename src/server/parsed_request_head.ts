/**
 * A request head that another HTTP parser has already split (node:http's `IncomingMessage`),
 * held to the rules and limits wsflow's own parser applies to bytes, so a head is accepted or
 * refused the same whichever parser read it, without writing it back out as bytes.
 *
 * The checks are those of `Http1RequestParser` and `Http1HeadReader` (layer 0), in the same
 * order and with the same statuses, on the head as it would be on the wire: the request line,
 * then each field as `name: value`, each line ending in CRLF, then the empty line.
 *
 * @module
 */

import { HandshakeError } from "../protocol/errors.ts";
import { isToken } from "../protocol/header_lists.ts";
import { parseHttpVersion } from "../protocol/http1_head_reader.ts";
import type { Http1Request } from "../protocol/http1_request_parser.ts";
import { type Limits, resolveLimits } from "../protocol/limits.ts";

/**
 * A request head as another parser split it.
 *
 * @example
 * ```ts
 * import type { RequestHeadParts } from "./parsed_request_head.ts";
 * const parts: RequestHeadParts = {
 *   method: "GET", target: "/chat", version: "HTTP/1.1",
 *   fields: [["Host", "example.com"], ["Upgrade", "websocket"]], rest: new Uint8Array(0),
 * };
 * ```
 */
export interface RequestHeadParts {
  /** The method as sent. */
  readonly method: string;
  /** The request-target as sent. */
  readonly target: string;
  /** The HTTP version of the request line, such as `HTTP/1.1`. */
  readonly version: string;
  /** The header fields in order, names in their case, values without surrounding whitespace. */
  readonly fields: readonly (readonly [name: string, value: string])[];
  /** The bytes that followed the head. */
  readonly rest: Uint8Array;
}

/** The bytes of the CRLF that ends every line (rfc7230#section-3). */
const CRLF = 2;

/**
 * Checks a head split by another parser against wsflow's request rules and limits, and gives
 * it the shape of `Http1RequestParser`'s result.
 *
 * | Status | When |
 * | --- | --- |
 * | 414 | the request line is longer than `maxLineBytes` |
 * | 431 | a field line is longer than `maxLineBytes`, the head longer than `maxHeaderBytes`, or more than `maxHeaderCount` fields |
 * | 400 | the method is not a token, the target empty or not visible ASCII, the version malformed, a field name not a token, a field value with a control byte |
 * | 505 | an HTTP version other than 1.x |
 *
 * @example
 * ```ts
 * import { checkRequestHead } from "./parsed_request_head.ts";
 * const head = checkRequestHead({
 *   method: "GET", target: "/chat", version: "HTTP/1.1",
 *   fields: [["Host", "example.com"], ["Upgrade", "websocket"]], rest: new Uint8Array(0),
 * }, { maxHeaderCount: 50 });
 * console.log(head.headers.get("host")); // example.com
 * ```
 * @param parts The head as split.
 * @param limits `maxLineBytes`, `maxHeaderBytes` and `maxHeaderCount`.
 * @returns The head, with `Headers` built and `rest` as given.
 * @throws {HandshakeError} With the status to refuse with.
 */
export function checkRequestHead(parts: RequestHeadParts, limits?: Partial<Limits>): Http1Request {
  const { maxLineBytes, maxHeaderBytes, maxHeaderCount } = resolveLimits(limits);
  let headBytes = 0;
  // A line of `length` bytes and its CRLF: the limit that breaks first wins, as in the reader
  // that sees the bytes arrive.
  const takeLine = (length: number, startLine: boolean): void => {
    const lineBreaksAt = maxLineBytes + 2;
    const headBreaksAt = maxHeaderBytes + 1 - headBytes;
    const segment = length + 1;
    if (lineBreaksAt <= segment && lineBreaksAt <= headBreaksAt) {
      throw new HandshakeError(
        `Cannot parse request: ${startLine ? "the request line" : "a header field line"} is ` +
          `longer than ${maxLineBytes} bytes (rfc7230#section-3.2.5)`,
        startLine ? 414 : 431,
      );
    }
    headBytes += length + CRLF;
    if (headBytes > maxHeaderBytes) throw headTooLarge(maxHeaderBytes);
  };

  const { method, target, version } = parts;
  takeLine(method.length + 1 + target.length + 1 + version.length, true);
  // request-line = method SP request-target SP HTTP-version (rfc7230#section-3.1.1)
  if (!isToken(method)) throw malformedRequestLine("the method is not a token");
  if (target.length === 0 || !allVisibleAscii(target)) {
    throw malformedRequestLine("the request-target is empty or holds a space or control byte");
  }
  const major = parseHttpVersion(version);
  if (major === -1) {
    throw malformedRequestLine(`${JSON.stringify(version)} is not an HTTP version`);
  }
  if (major !== 1) {
    throw new HandshakeError(
      `Cannot parse request: version ${version} is not supported, only HTTP/1.x ` +
        `(rfc7230#section-2.6)`,
      505,
    );
  }

  const fields: [string, string][] = [];
  for (const [name, value] of parts.fields) {
    takeLine(name.length + 2 + value.length, false);
    if (fields.length === maxHeaderCount) {
      throw new HandshakeError(
        `Cannot parse request: more than ${maxHeaderCount} header fields (rfc7230#section-3.2.5)`,
        431,
      );
    }
    // field-name = token; field-vchar = VCHAR / obs-text, with SP and HTAB between them
    // (rfc7230#section-3.2)
    if (!isToken(name)) throw malformedField("a header field name is not a token");
    if (!isFieldValue(value)) throw malformedField("a control byte in a field value");
    fields.push([name, value]);
  }
  headBytes += CRLF;
  if (headBytes > maxHeaderBytes) throw headTooLarge(maxHeaderBytes);

  const headers = new Headers();
  for (const [name, value] of fields) {
    try {
      headers.append(name, value);
    } catch (cause) {
      throw new HandshakeError(
        `Cannot parse request: header field ${name} is not valid (rfc7230#section-3.2)`,
        400,
        undefined,
        { cause },
      );
    }
  }
  return { method, target, version, headers, rawHeaders: fields, rest: parts.rest };
}

function allVisibleAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return false;
  }
  return true;
}

/** No control byte but HTAB, no DEL, nothing past latin1 (one byte per character). */
function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) return false;
  }
  return true;
}

function headTooLarge(maxHeaderBytes: number): HandshakeError {
  return new HandshakeError(
    `Cannot parse request: the head is longer than ${maxHeaderBytes} bytes ` +
      `(rfc7230#section-3.2.5)`,
    431,
  );
}

function malformedRequestLine(detail: string): HandshakeError {
  return new HandshakeError(
    `Cannot parse request: malformed request line, ${detail} (rfc7230#section-3.1.1)`,
    400,
  );
}

function malformedField(detail: string): HandshakeError {
  return new HandshakeError(`Cannot parse request: ${detail} (rfc7230#section-3.2)`, 400);
}
