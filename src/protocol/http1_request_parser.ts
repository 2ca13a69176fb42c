/**
 * Incremental, bounded parsing of an HTTP/1.1 request head: the bytes a server reads before it
 * can decide on the opening handshake (rfc6455#section-4.2.1).
 *
 * The line layer ({@linkcode Http1HeadReader}) gives the guarantees: any chunking gives the same
 * result, work is linear, the {@linkcode Limits} apply, CRLF only (a bare LF or CR gets 400), and
 * the bytes after the head (a client's first frames) are kept in `rest`. This file reads the
 * request line.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7230#section-3}
 */

import { HandshakeError } from "./errors.ts";
import { HeaderFields } from "./header_fields.ts";
import { isTokenChar } from "./header_lists.ts";
import {
  Http1HeadReader,
  type Http1HeadReaderOptions,
  type Http1HeadStatuses,
  parseHttpVersion,
} from "./http1_head_reader.ts";
import type { Limits } from "./limits.ts";
import { quote } from "./quote.ts";

/**
 * A parsed HTTP/1.x request head.
 *
 * @example
 * ```ts
 * import { Http1RequestParser } from "@wsflow/wsflow";
 * const request = new Http1RequestParser().push(
 *   new TextEncoder().encode("GET /chat HTTP/1.1\r\nHost: example.com\r\n\r\n"),
 * );
 * console.log(request?.method, request?.target, request?.headers.get("host")); // GET /chat example.com
 * // "GET" "/chat" "example.com"
 * ```
 */
export interface Http1Request {
  /** The method, case-sensitive (`GET`). */
  method: string;
  /** The request-target as sent (`/chat?room=1`, or an absolute URI). */
  target: string;
  /** The protocol version, `HTTP/1.0` or `HTTP/1.1` (any `HTTP/1.x`). */
  version: string;
  /** The header fields; several lines of one field are combined with `", "`. */
  headers: Headers;
  /** The header fields in order, names as written, one entry per line. */
  rawHeaders: [name: string, value: string][];
  /** The bytes received after the head: the start of the WebSocket stream. */
  rest: Uint8Array;
}

const REQUEST_STATUSES: Http1HeadStatuses = Object.freeze({
  startLineTooLong: 414,
  fieldLineTooLong: 431,
  headTooLarge: 431,
  malformed: 400,
});

/**
 * Parses an HTTP/1.x request head from bytes in any chunking (rfc7230#section-3), within
 * {@linkcode Limits}: a request line longer than `maxLineBytes` gets 414, a longer header line,
 * more than `maxHeaderCount` fields or more than `maxHeaderBytes` in all get 431, and anything
 * malformed gets 400; a version other than `HTTP/1.x` gets 505. Each failure is a
 * `HandshakeError` carrying that status, thrown from the `push` that delivered the offending
 * byte.
 *
 * @example Parse a handshake that arrives in two pieces, followed by a frame
 * ```ts
 * import { Http1RequestParser } from "@wsflow/wsflow";
 * const parser = new Http1RequestParser();
 * console.log(parser.push(new TextEncoder().encode("GET / HTTP/1.1\r\nHo"))); // null
 * const request = parser.push(
 *   new Uint8Array([...new TextEncoder().encode("st: a\r\n\r\n"), 0x81, 0x80]),
 * );
 * console.log(request?.rest); // Uint8Array [129, 128]
 * ```
 */
export class Http1RequestParser {
  #reader: Http1HeadReader;
  #line: RequestLine;
  #request: Http1Request | null = null;

  /**
   * Creates a parser for one request head.
   *
   * @param limits Head limits; missing fields fall back to `DEFAULT_LIMITS`.
   */
  constructor(limits?: Partial<Limits>) {
    this.#line = new RequestLine(limits);
    this.#reader = new Http1HeadReader(this.#line);
  }

  /** The parsed request once complete, otherwise `null`. */
  get request(): Http1Request | null {
    return this.#request;
  }

  /**
   * Consumes the next bytes.
   *
   * @param chunk The next bytes received; not kept.
   * @returns The request once its head is complete, otherwise `null`.
   * @throws {HandshakeError} When the head is malformed or too large (status 400, 414, 431 or
   * 505); every later call throws the same error.
   * @throws {TypeError} When the request was already complete.
   */
  push(chunk: Uint8Array): Http1Request | null {
    const head = this.#reader.push(chunk);
    if (head === null) return null;
    this.#request = new ParsedRequest(
      this.#line.method,
      this.#line.target,
      this.#line.version,
      head.fieldLines ?? new HeaderFields(head.fields, "request", 400),
      head.rest,
    );
    return this.#request;
  }

  /**
   * Signals that the peer closed the stream.
   *
   * @throws {HandshakeError} (400) When the head was not complete.
   */
  end(): void {
    this.#reader.end();
  }
}

/**
 * The head reader's options for a request, and the request line it reads: one object per
 * parser, whose method the reader calls (no closure per parser).
 */
class RequestLine implements Http1HeadReaderOptions {
  readonly limits: Partial<Limits> | undefined;
  readonly kind = "request";
  readonly statuses: Http1HeadStatuses = REQUEST_STATUSES;
  method = "";
  target = "";
  version = "";

  constructor(limits: Partial<Limits> | undefined) {
    this.limits = limits;
  }

  // request-line = method SP request-target SP HTTP-version (rfc7230#section-3.1.1)
  onStartLine(line: string): void {
    const firstSpace = line.indexOf(" ");
    const secondSpace = firstSpace === -1 ? -1 : line.indexOf(" ", firstSpace + 1);
    if (secondSpace === -1) {
      throw malformedRequestLine("it does not have three parts separated by single spaces");
    }
    const method = line.slice(0, firstSpace);
    const target = line.slice(firstSpace + 1, secondSpace);
    const version = line.slice(secondSpace + 1);
    if (method.length === 0 || !allTokenChars(method)) {
      throw malformedRequestLine("the method is not a token");
    }
    if (target.length === 0 || !allVisibleAscii(target)) {
      throw malformedRequestLine("the request-target is empty or holds a space or control byte");
    }
    const major = parseHttpVersion(version);
    if (major === -1) throw malformedRequestLine(`${quote(version, 32)} is not an HTTP version`);
    if (major !== 1) {
      throw new HandshakeError(
        `Cannot parse request: version ${version} is not supported, only HTTP/1.x ` +
          `(rfc7230#section-2.6)`,
        505,
      );
    }
    this.method = method;
    this.target = target;
    this.version = version;
  }
}

/**
 * An {@linkcode Http1Request} whose `headers` are made when first read: what
 * {@linkcode Http1RequestParser} returns, and what a head split by another parser becomes
 * (`checkRequestHead`). The server looks its fields up with {@linkcode requestField} instead.
 *
 * @example
 * ```ts
 * import { HeaderFields } from "./header_fields.ts";
 * import { ParsedRequest } from "./http1_request_parser.ts";
 * const fields = new HeaderFields([["Host", "example.com"]], "request", 400);
 * const request = new ParsedRequest("GET", "/", "HTTP/1.1", fields, new Uint8Array(0));
 * console.log(request.headers.get("host")); // example.com
 * ```
 */
export class ParsedRequest implements Http1Request {
  /** The method, case-sensitive (`GET`). */
  method: string;
  /** The request-target as sent. */
  target: string;
  /** The protocol version. */
  version: string;
  /** The header fields in order, names as written, one entry per line. */
  rawHeaders: [name: string, value: string][];
  /** The bytes received after the head. */
  rest: Uint8Array;
  /** The header fields, looked up without making `Headers`. */
  readonly fieldLines: HeaderFields;
  #headers: Headers | undefined;

  /**
   * A parsed request.
   *
   * @param method The method.
   * @param target The request-target.
   * @param version The protocol version.
   * @param fieldLines The header fields.
   * @param rest The bytes after the head.
   */
  constructor(
    method: string,
    target: string,
    version: string,
    fieldLines: HeaderFields,
    rest: Uint8Array,
  ) {
    this.method = method;
    this.target = target;
    this.version = version;
    this.fieldLines = fieldLines;
    this.rawHeaders = fieldLines.lines;
    this.rest = rest;
  }

  /**
   * The header fields; several lines of one field are combined with `", "`.
   *
   * @returns The same `Headers` at every read, unless replaced.
   */
  get headers(): Headers {
    return this.#headers ?? this.fieldLines.headers;
  }

  set headers(headers: Headers) {
    this.#headers = headers;
  }

  /**
   * The header lines as they arrived, one string of `Name: value\r\n` lines, while neither
   * `headers` nor `rawHeaders` has been replaced and the head arrived whole
   * (see {@linkcode HeaderFields.block}); otherwise `undefined`.
   *
   * @returns The lines, or `undefined`.
   */
  get fieldBlock(): string | undefined {
    return this.#headers === undefined && this.rawHeaders === this.fieldLines.lines
      ? this.fieldLines.block
      : undefined;
  }

  /**
   * A field by name, as `headers.get(name)` gives it: from the lines until `headers` is
   * replaced.
   *
   * @param name The field name, in lower case.
   * @returns The value, or `null`.
   */
  field(name: string): string | null {
    return this.#headers === undefined ? this.fieldLines.get(name) : this.#headers.get(name);
  }
}

/**
 * A request's header field by name, as `request.headers.get(name)` gives it, without making
 * the `Headers` of a {@linkcode ParsedRequest} whose `headers` nobody has read or replaced.
 *
 * @example
 * ```ts
 * import { Http1RequestParser, requestField } from "./http1_request_parser.ts";
 * const request = new Http1RequestParser().push(
 *   new TextEncoder().encode("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
 * )!;
 * console.log(requestField(request, "host")); // example.com
 * ```
 * @param request The request.
 * @param name The field name, in lower case.
 * @returns The value, or `null`.
 */
export function requestField(request: { readonly headers: Headers }, name: string): string | null {
  return request instanceof ParsedRequest ? request.field(name) : request.headers.get(name);
}

function allTokenChars(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    if (!isTokenChar(value.charCodeAt(i))) return false;
  }
  return true;
}

function allVisibleAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code >= 0x7f) return false;
  }
  return true;
}

function malformedRequestLine(detail: string): HandshakeError {
  return new HandshakeError(
    `Cannot parse request: malformed request line, ${detail} (rfc7230#section-3.1.1)`,
    400,
  );
}
