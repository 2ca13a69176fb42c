/**
 * Incremental, bounded parsing of an HTTP/1.1 response head: the bytes a client reads after
 * sending its opening handshake (rfc6455#section-4.1).
 *
 * The same line layer as the request side ({@linkcode Http1HeadReader}), so the same guarantees:
 * any chunking gives the same result, work is linear, the same {@linkcode Limits} apply, CRLF
 * only, and the bytes after the head (the server's first frames) are kept in `rest`. Failures are
 * `HandshakeError`s with status 0: no valid response was read.
 *
 * Only the first response is parsed: an interim 1xx other than 101 (such as 103 Early Hints) is
 * returned like any other status, and the handshake then fails on it.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7230#section-3.1.2}
 */

import { HandshakeError } from "./errors.ts";
import { Http1HeadReader, type Http1HeadStatuses, parseHttpVersion } from "./http1_head_reader.ts";
import type { Limits } from "./limits.ts";

/**
 * A parsed HTTP/1.x response head.
 *
 * @example
 * ```ts
 * import { Http1ResponseParser } from "@wsflow/wsflow";
 * const response = new Http1ResponseParser().push(
 *   new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"),
 * );
 * console.log(response?.status, response?.headers.get("upgrade")); // 101 "websocket"
 * ```
 */
export interface Http1Response {
  /** The protocol version, `HTTP/1.x`. */
  version: string;
  /** The three-digit status code. */
  status: number;
  /** The reason phrase; may be empty. */
  statusText: string;
  /** The header fields; several lines of one field are combined with `", "`. */
  headers: Headers;
  /** The header fields in order, names as written, one entry per line. */
  rawHeaders: [name: string, value: string][];
  /** The bytes received after the head: the start of the WebSocket stream. */
  rest: Uint8Array;
}

// A client has no one to answer: 0 marks "no valid response was read" (see HandshakeError).
const RESPONSE_STATUSES: Http1HeadStatuses = Object.freeze({
  startLineTooLong: 0,
  fieldLineTooLong: 0,
  headTooLarge: 0,
  malformed: 0,
});

/**
 * Parses an HTTP/1.x response head from bytes in any chunking (rfc7230#section-3), within
 * {@linkcode Limits} (`maxLineBytes`, `maxHeaderCount`, `maxHeaderBytes`). Every failure is a
 * `HandshakeError` with status 0, thrown from the `push` that delivered the offending byte.
 *
 * @example Read a 101 response followed by a frame
 * ```ts
 * import { Http1ResponseParser } from "@wsflow/wsflow";
 * const parser = new Http1ResponseParser();
 * const head = new TextEncoder().encode("HTTP/1.1 101 Switching Protocols\r\n\r\n");
 * const response = parser.push(new Uint8Array([...head, 0x81, 0x00]));
 * console.log(response?.status, response?.rest); // 101 Uint8Array [129, 0]
 * ```
 */
export class Http1ResponseParser {
  #reader: Http1HeadReader;
  #version = "";
  #status = 0;
  #statusText = "";
  #response: Http1Response | null = null;

  /**
   * Creates a parser for one response head.
   *
   * @param limits Head limits; missing fields fall back to `DEFAULT_LIMITS`.
   */
  constructor(limits?: Partial<Limits>) {
    this.#reader = new Http1HeadReader({
      limits,
      kind: "response",
      statuses: RESPONSE_STATUSES,
      onStartLine: (line) => this.#parseStatusLine(line),
    });
  }

  /** The parsed response once complete, otherwise `null`. */
  get response(): Http1Response | null {
    return this.#response;
  }

  /**
   * Consumes the next bytes.
   *
   * @param chunk The next bytes received; not kept.
   * @returns The response once its head is complete, otherwise `null`.
   * @throws {HandshakeError} (status 0) When the head is malformed or too large; every later call
   * throws the same error.
   * @throws {TypeError} When the response was already complete.
   */
  push(chunk: Uint8Array): Http1Response | null {
    const head = this.#reader.push(chunk);
    if (head === null) return null;
    this.#response = {
      version: this.#version,
      status: this.#status,
      statusText: this.#statusText,
      headers: head.headers,
      rawHeaders: head.fields,
      rest: head.rest,
    };
    return this.#response;
  }

  /**
   * Signals that the server closed the stream.
   *
   * @throws {HandshakeError} (status 0) When the head was not complete.
   */
  end(): void {
    this.#reader.end();
  }

  // status-line = HTTP-version SP status-code SP reason-phrase (rfc7230#section-3.1.2). The SP
  // before an empty reason phrase is often left out, so it is optional here.
  #parseStatusLine(line: string): void {
    const version = line.slice(0, 8);
    const major = parseHttpVersion(version);
    if (major === -1) throw malformedStatusLine("it does not start with an HTTP version");
    if (major !== 1) {
      throw new HandshakeError(
        `Cannot parse response: version ${version} is not supported, only HTTP/1.x ` +
          `(rfc7230#section-2.6)`,
        0,
      );
    }
    if (line.charCodeAt(8) !== 0x20) throw malformedStatusLine("no space after the version");
    let status = 0;
    for (let i = 9; i < 12; i++) {
      const digit = line.charCodeAt(i) - 0x30;
      if (!(digit >= 0 && digit <= 9)) throw malformedStatusLine("the status is not three digits");
      status = status * 10 + digit;
    }
    if (status < 100 || status > 599) {
      throw malformedStatusLine(`status ${status} is outside 100-599`);
    }
    if (line.length > 12 && line.charCodeAt(12) !== 0x20) {
      throw malformedStatusLine("the status is not three digits");
    }
    const statusText = line.slice(13);
    for (let i = 0; i < statusText.length; i++) {
      const code = statusText.charCodeAt(i);
      // reason-phrase = *( HTAB / SP / VCHAR / obs-text )
      if ((code < 0x20 && code !== 0x09) || code === 0x7f) {
        throw malformedStatusLine("the reason phrase holds a control byte");
      }
    }
    this.#version = version;
    this.#status = status;
    this.#statusText = statusText;
  }
}

function malformedStatusLine(detail: string): HandshakeError {
  return new HandshakeError(
    `Cannot parse response: malformed status line, ${detail} (rfc7230#section-3.1.2)`,
    0,
  );
}
