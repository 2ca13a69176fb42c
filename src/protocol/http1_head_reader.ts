/**
 * The line layer of an HTTP/1.x head, shared by the request parser (server) and the response
 * parser (client): bytes in any chunking to a start line and header fields, within the head
 * limits (rfc7230#section-3).
 *
 * Bytes may arrive in any chunking, one at a time included, and give the same result: every
 * limit and syntax rule is checked at a fixed byte position, never at a chunk boundary. Each byte
 * is looked at once (a scan position is kept; nothing is rescanned when a chunk arrives, the
 * mistake behind tungstenite's CVE-2023-43669), so work is linear in the input. Bytes after the
 * blank line that ends the head are handed back as `rest`: a peer may send its first frames in
 * the same packet as its handshake.
 *
 * Line endings are CRLF only. A bare LF or a bare CR is refused: RFC 7230 allows a recipient to
 * accept a bare LF (rfc7230#section-3.5), but every WebSocket peer sends CRLF, and a proxy in
 * front that splits lines differently from this parser could see other header fields than the
 * server does, the root of request smuggling.
 *
 * Internal to layer 0 (not exported from `mod.ts`): `Http1RequestParser` and
 * `Http1ResponseParser` are the public entry points.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7230#section-3}
 */

import { HandshakeError } from "./errors.ts";
import { HeaderFields } from "./header_fields.ts";
import { isTokenChar } from "./header_lists.ts";
import { type Limits, resolveLimits } from "./limits.ts";

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/**
 * A complete HTTP/1.x head as {@linkcode Http1HeadReader} splits it: the start line, the header
 * fields and the bytes that followed the blank line.
 *
 * @example
 * ```ts
 * const head: Http1Head = {
 *   startLine: "GET / HTTP/1.1", fields: [["Host", "example.com"]],
 *   headers: new Headers({ Host: "example.com" }), rest: new Uint8Array(0), headBytes: 37,
 * };
 * console.log(head.fields.length); // 1
 * ```
 */
export interface Http1Head {
  /** The request line or status line, decoded byte for byte (ISO-8859-1). */
  startLine: string;
  /** The header fields in order, names as written, values without surrounding whitespace. */
  fields: [name: string, value: string][];
  /**
   * The same fields as `Headers`; several lines of one field are combined with `", "`. Made
   * when first read (see `fieldLines`).
   */
  headers: Headers;
  /**
   * The fields, looked up by name without making `Headers`.
   * @default {made of `fields`}
   */
  fieldLines?: HeaderFields;
  /** The bytes received after the blank line that ends the head (a copy). */
  rest: Uint8Array;
  /** Length of the head in bytes, blank line included. */
  headBytes: number;
}

/**
 * The HTTP status each kind of failure gets. A server answers with it (414, 431, 400); a client
 * reports 0, because no response could be read.
 *
 * @example
 * ```ts
 * const statuses: Http1HeadStatuses = {
 *   startLineTooLong: 414, fieldLineTooLong: 431, headTooLarge: 431, malformed: 400,
 * };
 * console.log(statuses.malformed); // 400
 * ```
 */
export interface Http1HeadStatuses {
  /** The start line is longer than `maxLineBytes`. */
  startLineTooLong: number;
  /** A header field line is longer than `maxLineBytes`. */
  fieldLineTooLong: number;
  /** The head is longer than `maxHeaderBytes` or has more than `maxHeaderCount` fields. */
  headTooLarge: number;
  /** The head breaks the HTTP/1.1 syntax. */
  malformed: number;
}

/**
 * Options of {@linkcode Http1HeadReader}.
 *
 * @example
 * ```ts
 * const options: Http1HeadReaderOptions = {
 *   kind: "request",
 *   statuses: { startLineTooLong: 414, fieldLineTooLong: 431, headTooLarge: 431, malformed: 400 },
 *   onStartLine(line) { console.log(line); },
 * };
 * console.log(options.kind); // "request"
 * ```
 */
export interface Http1HeadReaderOptions {
  /**
   * Limits on the head; only `maxLineBytes`, `maxHeaderBytes` and `maxHeaderCount` are read.
   * @default {DEFAULT_LIMITS}
   */
  limits?: Partial<Limits> | undefined;
  /** Which head this is; used in error messages. */
  kind: "request" | "response";
  /** The status each failure gets. */
  statuses: Http1HeadStatuses;
  /**
   * Called with the start line as soon as it is complete, before any header field is read, so a
   * malformed start line fails at its own end whatever follows. Throw to refuse it.
   */
  onStartLine(line: string): void;
}

const NO_LINE = new Uint8Array(0);
const UTF8 = new TextDecoder();
// The `rest` of a head that ended its chunk (the usual case): nothing, and nothing to change.
const NO_REST: Uint8Array = Object.freeze(new Uint8Array(0)) as Uint8Array;

/**
 * The line layer shared by `Http1RequestParser` and `Http1ResponseParser`: splits
 * bytes into CRLF-terminated lines, enforces the three head limits, checks header field syntax
 * and stops at the blank line.
 *
 * Leading empty lines before the start line are skipped (rfc7230#section-3.5) and count towards
 * `maxHeaderBytes`. Header field lines are refused when they start with whitespace (obs-fold,
 * rfc7230#section-3.2.4), have whitespace before the colon (rfc7230#section-3.2.4), have a field
 * name that is not a token, or hold a control character other than HTAB in the value.
 *
 * @example
 * ```ts
 * const reader = new Http1HeadReader({
 *   kind: "request",
 *   statuses: { startLineTooLong: 414, fieldLineTooLong: 431, headTooLarge: 431, malformed: 400 },
 *   onStartLine() {},
 * });
 * const head = reader.push(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: a\r\n\r\nxy"));
 * console.log(head?.fields, head?.rest.length); // [["Host", "a"]] 2
 * ```
 */
export class Http1HeadReader {
  #maxLineBytes: number;
  #maxHeaderBytes: number;
  #maxHeaderCount: number;
  #kind: "request" | "response";
  #statuses: Http1HeadStatuses;
  #options: Http1HeadReaderOptions;
  // Bytes of the current line received in earlier chunks (never more than maxLineBytes + 1);
  // made for the first line split between chunks (most heads arrive whole).
  #line: Uint8Array = NO_LINE;
  #lineLength = 0;
  #headBytes = 0;
  #startLineSeen = false;
  #startLine = "";
  #fields: [string, string][] = [];
  // While every line so far came from one decoded text (the head arrived whole): that text,
  // the chunk it was decoded from, and where in the chunk the field lines begin and end. What
  // `HeaderFields.block` is decoded from.
  #blockText: string | undefined;
  #blockChunk: Uint8Array | undefined;
  #blockStart = 0;
  #blockEnd = 0;
  #head: Http1Head | null = null;
  #error: unknown = null;

  /**
   * Creates a reader for one head.
   *
   * @param options Limits, statuses and the start line callback.
   */
  constructor(options: Http1HeadReaderOptions) {
    const limits = resolveLimits(options.limits);
    this.#maxLineBytes = limits.maxLineBytes;
    this.#maxHeaderBytes = limits.maxHeaderBytes;
    this.#maxHeaderCount = limits.maxHeaderCount;
    this.#kind = options.kind;
    this.#statuses = options.statuses;
    this.#options = options;
  }

  /** The complete head, or `null` while more bytes are needed. */
  get head(): Http1Head | null {
    return this.#head;
  }

  /** How many bytes of the head have been consumed so far. */
  get headBytes(): number {
    return this.#headBytes;
  }

  /**
   * Consumes the next bytes.
   *
   * @param chunk The next bytes; not kept (a partial line is copied).
   * @returns The head once its blank line has arrived, otherwise `null`.
   * @throws {HandshakeError} When the head breaks a limit or the syntax; every later call throws
   * the same error.
   * @throws {TypeError} When the head was already complete.
   */
  push(chunk: Uint8Array): Http1Head | null {
    if (this.#error !== null) throw this.#error;
    if (this.#head !== null) {
      throw new TypeError(`Cannot push bytes: the ${this.#kind} head is already complete`);
    }
    try {
      return this.#consume(chunk);
    } catch (error) {
      this.#error = error;
      throw error;
    }
  }

  /**
   * Signals the end of the stream.
   *
   * @throws {HandshakeError} When the stream ended before the head was complete.
   */
  end(): void {
    if (this.#error !== null) throw this.#error;
    if (this.#head !== null) return;
    this.#error = this.#malformed(
      `the stream ended after ${this.#headBytes} bytes, before the end of the head`,
      "rfc7230#section-3",
    );
    throw this.#error;
  }

  #consume(chunk: Uint8Array): Http1Head | null {
    const length = chunk.length;
    let position = 0;
    // The chunk's head bytes decoded once, from `base` on (see #decode): each line whole in the
    // chunk is a slice of it, rather than a view and a decode of its own.
    let text: string | undefined;
    let base = 0;
    while (position < length) {
      const lf = chunk.indexOf(LF, position);
      const end = lf === -1 ? length : lf;
      const segment = end - position;
      // The n-th byte of this segment (1-based) at which each limit breaks. A line may hold
      // maxLineBytes bytes and its CR, so the limit breaks at the byte after that.
      const lineBreaksAt = this.#maxLineBytes + 2 - this.#lineLength;
      const headBreaksAt = this.#maxHeaderBytes + 1 - this.#headBytes;
      if (lineBreaksAt <= segment && lineBreaksAt <= headBreaksAt) throw this.#lineTooLong();
      if (headBreaksAt <= segment) throw this.#headTooLarge();
      this.#headBytes += segment;
      if (lf === -1) {
        this.#append(chunk, position, end);
        return null;
      }
      this.#headBytes += 1;
      // The line is [from, to) of `bytes`: of the chunk, or of the line buffer when it was
      // split between chunks. Offsets rather than views: a head is a dozen lines.
      let bytes = chunk;
      let from = position;
      let to = end;
      let lineText: string | undefined;
      let lineBase = 0;
      if (this.#lineLength !== 0) {
        this.#append(chunk, position, end);
        bytes = this.#line;
        from = 0;
        to = this.#lineLength;
        this.#lineLength = 0;
      } else {
        // A head after empty lines (rfc7230#section-3.5) may end past a decoded blank line.
        if (text === undefined || end > base + text.length) {
          base = position;
          text = this.#decode(chunk, position);
        }
        lineText = text;
        lineBase = base;
      }
      const contentLength = to > from && bytes[to - 1] === CR ? to - from - 1 : to - from;
      if (contentLength > this.#maxLineBytes) throw this.#lineTooLong();
      if (this.#headBytes > this.#maxHeaderBytes) throw this.#headTooLarge();
      position = lf + 1;
      if (this.#takeLine(bytes, from, to, lineText, lineBase)) {
        this.#head = new ParsedHead(
          this.#startLine,
          new HeaderFields(this.#fields, this.#kind, this.#statuses.malformed, this.#block()),
          position === length ? NO_REST : chunk.slice(position),
          this.#headBytes,
        );
        return this.#head;
      }
    }
    return null;
  }

  /**
   * The field lines as they arrived, each ended by its CRLF, when every line of the head was
   * decoded from one text (the head arrived whole): decoded once more, natively, in less time
   * than joining the parsed lines again. Not a slice of the text: that would keep the whole
   * head's text (the request line too) for as long as the connection keeps the block.
   */
  #block(): string | undefined {
    const chunk = this.#blockChunk;
    this.#blockChunk = undefined;
    if (this.#blockText === undefined || chunk === undefined) return undefined;
    this.#blockText = undefined;
    return latin1(chunk, this.#blockStart, this.#blockEnd);
  }

  /**
   * The bytes of `chunk` from `from` that can belong to the head, decoded: up to the first
   * blank line in the chunk (a client's first frames after it are not decoded), else as far as
   * a head can reach.
   */
  #decode(chunk: Uint8Array, from: number): string {
    const limit = Math.min(chunk.length, from + this.#maxHeaderBytes + 1);
    let lf = chunk.indexOf(LF, from);
    while (lf !== -1 && lf + 2 < limit) {
      // The LF of a line, then the blank line's CRLF: the end of the head.
      if (chunk[lf + 1] === CR && chunk[lf + 2] === LF) return latin1(chunk, from, lf + 3);
      lf = chunk.indexOf(LF, lf + 1);
    }
    return latin1(chunk, from, limit);
  }

  #append(chunk: Uint8Array, from: number, to: number): void {
    const needed = this.#lineLength + (to - from);
    if (needed > this.#line.length) {
      // Doubling keeps the copying linear; the limits bound the size.
      let size = Math.max(256, this.#line.length * 2);
      while (size < needed) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#line.subarray(0, this.#lineLength));
      this.#line = grown;
    }
    this.#line.set(chunk.subarray(from, to), this.#lineLength);
    this.#lineLength = needed;
  }

  /**
   * Handles one line, bytes [from, to) of `bytes` (without its LF); returns `true` at the blank
   * line that ends the head. `text`, when given, holds the line decoded, byte `i` of `bytes` at
   * character `i - base`.
   */
  #takeLine(
    bytes: Uint8Array,
    from: number,
    to: number,
    text: string | undefined,
    base: number,
  ): boolean {
    if (to === from || bytes[to - 1] !== CR) {
      // rfc7230#section-3.5: the line terminator is CRLF; a bare LF is refused (see @module)
      throw this.#malformed("a line ends with a bare LF instead of CRLF", "rfc7230#section-3.5");
    }
    // The content, before the CR that ends it; a CR found before that one is a bare CR.
    const end = to - 1;
    if (bytes.indexOf(CR, from) !== end) {
      throw this.#malformed("a line holds a bare CR", "rfc7230#section-3.5");
    }
    if (!this.#startLineSeen) {
      if (end === from) return false; // rfc7230#section-3.5: ignore empty lines first
      this.#startLineSeen = true;
      this.#startLine = text === undefined
        ? latin1(bytes, from, end)
        : text.slice(from - base, end - base);
      this.#blockText = text;
      this.#blockChunk = bytes;
      this.#blockStart = to + 1;
      this.#options.onStartLine(this.#startLine);
      return false;
    }
    if (end === from) {
      if (text !== this.#blockText) this.#blockText = undefined;
      else this.#blockEnd = from;
      return true;
    }
    if (text !== this.#blockText) this.#blockText = undefined;
    if (this.#fields.length === this.#maxHeaderCount) {
      throw new HandshakeError(
        `Cannot parse ${this.#kind}: more than ${this.#maxHeaderCount} header fields ` +
          `(rfc7230#section-3.2.5)`,
        this.#statuses.headTooLarge,
      );
    }
    this.#fields.push(this.#parseField(bytes, from, end, text, base));
    return false;
  }

  /** Parses the field line [from, to) of `content`; `text` and `base` as in `#takeLine`. */
  #parseField(
    content: Uint8Array,
    from: number,
    to: number,
    text: string | undefined,
    base: number,
  ): [string, string] {
    const first = content[from]!;
    if (first === SP || first === HTAB) {
      // rfc7230#section-3.2.4: obs-fold; a server MUST either reject it with 400 or unfold it
      throw this.#malformed(
        "a header field line starts with whitespace (obs-fold)",
        "rfc7230#section-3.2.4",
      );
    }
    let colon = from;
    while (colon < to && isTokenChar(content[colon]!)) colon++;
    if (colon === to) {
      throw this.#malformed("a header field line has no colon", "rfc7230#section-3.2");
    }
    const stop = content[colon]!;
    if (stop === SP || stop === HTAB) {
      // rfc7230#section-3.2.4: whitespace between field name and colon MUST be rejected with 400
      throw this.#malformed(
        "whitespace between a field name and its colon",
        "rfc7230#section-3.2.4",
      );
    }
    if (stop !== COLON) {
      throw this.#malformed(
        `byte 0x${stop.toString(16).padStart(2, "0")} in a field name`,
        "rfc7230#section-3.2",
      );
    }
    if (colon === from) {
      throw this.#malformed("a header field has an empty name", "rfc7230#section-3.2");
    }
    let start = colon + 1;
    let end = to;
    while (start < end && (content[start] === SP || content[start] === HTAB)) start++;
    while (end > start && (content[end - 1] === SP || content[end - 1] === HTAB)) end--;
    for (let i = start; i < end; i++) {
      const byte = content[i]!;
      // field-vchar = VCHAR / obs-text, with SP and HTAB between them (rfc7230#section-3.2)
      if ((byte < 0x20 && byte !== HTAB) || byte === 0x7f) {
        throw this.#malformed(
          `control byte 0x${byte.toString(16).padStart(2, "0")} in a field value`,
          "rfc7230#section-3.2",
        );
      }
    }
    if (text !== undefined) {
      return [text.slice(from - base, colon - base), text.slice(start - base, end - base)];
    }
    // One decode per line; the name and value are slices of it.
    const line = latin1(content, from, end);
    return [line.slice(0, colon - from), line.slice(start - from)];
  }

  #lineTooLong(): HandshakeError {
    const line = this.#startLineSeen
      ? "a header field line"
      : this.#kind === "request"
      ? "the request line"
      : "the status line";
    return new HandshakeError(
      `Cannot parse ${this.#kind}: ${line} is longer than ${this.#maxLineBytes} bytes ` +
        `(rfc7230#section-3.2.5)`,
      this.#startLineSeen ? this.#statuses.fieldLineTooLong : this.#statuses.startLineTooLong,
    );
  }

  #headTooLarge(): HandshakeError {
    return new HandshakeError(
      `Cannot parse ${this.#kind}: the head is longer than ${this.#maxHeaderBytes} bytes ` +
        `(rfc7230#section-3.2.5)`,
      this.#statuses.headTooLarge,
    );
  }

  #malformed(detail: string, rule: string): HandshakeError {
    return new HandshakeError(
      `Cannot parse ${this.#kind}: ${detail} (${rule})`,
      this.#statuses.malformed,
    );
  }
}

/** A complete head; its `Headers` are made when first read. */
class ParsedHead implements Http1Head {
  readonly startLine: string;
  readonly fieldLines: HeaderFields;
  readonly rest: Uint8Array;
  readonly headBytes: number;

  constructor(startLine: string, fieldLines: HeaderFields, rest: Uint8Array, headBytes: number) {
    this.startLine = startLine;
    this.fieldLines = fieldLines;
    this.rest = rest;
    this.headBytes = headBytes;
  }

  get fields(): [name: string, value: string][] {
    return this.fieldLines.lines;
  }

  get headers(): Headers {
    return this.fieldLines.headers;
  }
}

/**
 * The major version of `HTTP/<digit>.<digit>`, or -1 when `version` has another form
 * (rfc7230#section-2.6; the name is case-sensitive).
 *
 * @example
 * ```ts
 * console.log(parseHttpVersion("HTTP/1.1"), parseHttpVersion("http/1.1")); // 1 -1
 * ```
 * @param version The version as it appears on a start line.
 * @returns The major version digit, or -1.
 */
export function parseHttpVersion(version: string): number {
  if (version.length !== 8 || !version.startsWith("HTTP/") || version[6] !== ".") return -1;
  const major = version.charCodeAt(5) - 0x30;
  const minor = version.charCodeAt(7) - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return -1;
  return major;
}

/**
 * Decodes bytes one to one into a string (ISO-8859-1), the way HTTP field values are carried in
 * `Headers`. `TextDecoder("latin1")` would map 0x80-0x9F through windows-1252 instead.
 */
function latin1(bytes: Uint8Array, from: number, to: number): string {
  // A head is ASCII as a rule, and ASCII decodes the same as UTF-8, natively (3-4 times faster
  // than `apply`, which makes an 8-byte argument slot per byte). Any other byte changes the
  // result: a valid sequence decodes to fewer characters than bytes, an invalid one to U+FFFD.
  const ascii = UTF8.decode(bytes.subarray(from, to));
  if (ascii.length === to - from && !ascii.includes("\uFFFD")) return ascii;
  // `apply` takes the typed array as it is; a spread would iterate it into an array first
  // (three to four times slower on a handshake's lines). Chunks bound the argument count.
  if (to - from <= 4096) {
    return String.fromCharCode.apply(null, bytes.subarray(from, to) as unknown as number[]);
  }
  let text = "";
  for (let i = from; i < to; i += 4096) {
    const part = bytes.subarray(i, Math.min(to, i + 4096));
    text += String.fromCharCode.apply(null, part as unknown as number[]);
  }
  return text;
}
