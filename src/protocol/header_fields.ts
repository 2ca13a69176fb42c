/**
 * The header fields of a parsed HTTP/1.x head, read where they are: the lines as parsed, with
 * the `Headers` made of them only when something asks for it. A server checks a handshake's
 * fields by name (a few lookups) and seldom needs `Headers` at all; building them costs a
 * handshake more than every lookup together (each `append` validates its name and value again,
 * and Node's `Headers` is a JavaScript object graph of its own).
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7230#section-3.2}
 */

import { HandshakeError } from "./errors.ts";

/**
 * Header field lines as a parser split them, looked up as `Headers.get` would, with their
 * `Headers` made on first use.
 *
 * @example
 * ```ts
 * import { HeaderFields } from "./header_fields.ts";
 * const fields = new HeaderFields([["Host", "a"], ["X-A", "1"], ["x-a", "2"]], "request", 400);
 * console.log(fields.get("x-a"), fields.get("origin")); // 1, 2 null
 * console.log(fields.headers.get("host")); // a
 * ```
 */
export class HeaderFields {
  /** The lines in order, names as written, values without surrounding whitespace. */
  readonly lines: [name: string, value: string][];
  /**
   * The lines as they arrived, each ended by CRLF (`Name: value\r\n`), when the head was
   * decoded in one piece; `undefined` otherwise. Keeping this one string costs a connection
   * less than the lines it was split into.
   */
  readonly block: string | undefined;
  readonly #kind: "request" | "response";
  readonly #malformed: number;
  #headers: Headers | undefined;

  /**
   * Wraps lines that passed the head reader's checks.
   *
   * @param lines The field lines.
   * @param kind Which head they are from, for the error message.
   * @param malformed The status a field `Headers` refuses gets.
   * @param block The lines as they arrived, when at hand (see {@linkcode HeaderFields.block}).
   */
  constructor(
    lines: [name: string, value: string][],
    kind: "request" | "response",
    malformed: number,
    block?: string,
  ) {
    this.lines = lines;
    this.block = block;
    this.#kind = kind;
    this.#malformed = malformed;
  }

  /**
   * The field's value as `Headers.get` gives it: the values of every line with that name
   * (ASCII case-insensitive), in order, joined with `", "`; `null` when there is none.
   *
   * @param name The field name, in lower case.
   * @returns The combined value, or `null`.
   */
  get(name: string): string | null {
    let value: string | null = null;
    const lines = this.lines;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (!sameName(line[0], name)) continue;
      value = value === null ? line[1] : `${value}, ${line[1]}`;
    }
    return value;
  }

  /**
   * How many lines have this name: a field that must appear once is refused when repeated.
   *
   * @param name The field name, in lower case.
   * @returns The count.
   */
  count(name: string): number {
    let count = 0;
    for (const line of this.lines) if (sameName(line[0], name)) count++;
    return count;
  }

  /**
   * The fields as `Headers`, made at the first call; several lines of one field are combined
   * with `", "`.
   *
   * @returns The same `Headers` at every call.
   * @throws {HandshakeError} Should a runtime's `Headers` refuse a field the head reader let
   *   through (none is known to): that is still the peer's malformed head.
   */
  get headers(): Headers {
    if (this.#headers !== undefined) return this.#headers;
    const headers = new Headers();
    for (const [name, value] of this.lines) {
      try {
        headers.append(name, value);
      } catch (cause) {
        throw new HandshakeError(
          `Cannot parse ${this.#kind}: header field ${name} is not valid (rfc7230#section-3.2)`,
          this.#malformed,
          undefined,
          { cause },
        );
      }
    }
    return this.#headers = headers;
  }
}

/** Whether `name` equals `lower` (lower case) ignoring ASCII case; no string is made. */
function sameName(name: string, lower: string): boolean {
  const length = lower.length;
  if (name.length !== length) return false;
  for (let i = 0; i < length; i++) {
    const code = name.charCodeAt(i);
    // A-Z to a-z; field names are tokens, so no other byte folds (rfc7230#section-3.2)
    if ((code >= 0x41 && code <= 0x5a ? code | 0x20 : code) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
