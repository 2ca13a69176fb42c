/**
 * HTTP list-valued header fields (rfc7230#section-7): comma-separated elements with optional
 * whitespace, tokens, quoted strings with backslash escapes, and `;name=value` parameters, as
 * used by `Connection`, `Upgrade`, `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions`.
 *
 * Every parser here is a single forward pass over the string with hand-written character loops:
 * no regular expressions, no rescanning, so a hostile 64 KiB header costs 64 Ki steps. Extension
 * parameters are kept as `[name, value]` pairs in an array, never as keys of a plain object, so
 * names such as `__proto__` or `constructor` are ordinary strings.
 *
 * Malformed input throws the built-in `SyntaxError`; the handshake turns it into a
 * `HandshakeError` with the right HTTP status for its role.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7230#section-7}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-9.1}
 */

const SP = 0x20;
const HTAB = 0x09;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;

// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
//       / DIGIT / ALPHA (rfc7230#section-3.2.6)
const TCHAR: Uint8Array = buildTokenTable();

function buildTokenTable(): Uint8Array {
  const table = new Uint8Array(128);
  for (let code = 0x30; code <= 0x39; code++) table[code] = 1;
  for (let code = 0x41; code <= 0x5a; code++) table[code] = 1;
  for (let code = 0x61; code <= 0x7a; code++) table[code] = 1;
  const symbols = "!#$%&'*+-.^_`|~";
  for (let i = 0; i < symbols.length; i++) table[symbols.charCodeAt(i)] = 1;
  return table;
}

/**
 * One extension offered or accepted in `Sec-WebSocket-Extensions` (rfc6455#section-9.1).
 *
 * Parameters stay in the order and multiplicity they were written, because a negotiation may
 * have to refuse an offer that repeats a parameter (rfc7692#section-5). A parameter without `=`
 * has the value `null`; a quoted value is unescaped.
 *
 * @example Look a parameter up
 * ```ts
 * import { parseExtensionList } from "@wsflow/wsflow";
 * const [offer] = parseExtensionList("permessage-deflate; client_max_window_bits");
 * const params = new Map(offer!.params);
 * console.log(params.get("client_max_window_bits")); // null: present without a value
 * ```
 */
export interface ExtensionOffer {
  /** The extension token, as written (for example `permessage-deflate`). */
  name: string;
  /** The parameters in order, as `[name, value]`; `value` is `null` when no `=` was given. */
  params: [name: string, value: string | null][];
}

/**
 * Whether the character code `code` may appear in an RFC 7230 token (rfc7230#section-3.2.6).
 * Internal to layer 0 (not exported from `mod.ts`); use {@linkcode isToken} for strings.
 *
 * @example
 * ```ts
 * console.log(isTokenChar(0x41), isTokenChar(0x2c)); // true false: "A" is, "," is not
 * ```
 * @param code A character code or byte.
 * @returns `true` for a tchar.
 */
export function isTokenChar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/**
 * Whether `value` is a non-empty RFC 7230 token (rfc7230#section-3.2.6): the form of method
 * names, header field names, subprotocol names (rfc6455#section-4.1) and extension names.
 *
 * @example
 * ```ts
 * import { isToken } from "@wsflow/wsflow";
 * console.log(isToken("chat.v2"), isToken("chat v2")); // true false
 * ```
 * @param value The string to check.
 * @returns `true` when `value` is one or more tchars.
 */
export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  return scanToken(value, 0) === value.length;
}

/**
 * Parses a comma-separated list of tokens, such as `Connection` or `Sec-WebSocket-Protocol`.
 * Empty elements and whitespace around commas are skipped (rfc7230#section-7), so `", a ,,b"`
 * gives `["a", "b"]`. Tokens are returned as written; compare them case-insensitively where the
 * field says so.
 *
 * @example
 * ```ts
 * import { parseTokenList } from "@wsflow/wsflow";
 * console.log(parseTokenList("keep-alive, Upgrade")); // ["keep-alive", "Upgrade"]
 * ```
 * @param value The field value (several field lines combined with `", "` are one list).
 * @returns The tokens in order.
 * @throws {SyntaxError} When an element is not a token.
 */
export function parseTokenList(value: string): string[] {
  const tokens: string[] = [];
  const length = value.length;
  let i = skipSeparators(value, 0);
  while (i < length) {
    const end = scanToken(value, i);
    if (end === i) throw unexpected(value, i, "a token");
    tokens.push(value.slice(i, end));
    i = expectSeparator(value, skipOws(value, end), "a comma");
  }
  return tokens;
}

/**
 * Parses the `Upgrade` field: a comma-separated list of `protocol-name ["/" protocol-version]`
 * (rfc7230#section-6.7), such as `websocket` or `HTTP/2.0, websocket`.
 * Internal to layer 0 (not exported from `mod.ts`).
 *
 * @example
 * ```ts
 * console.log(parseUpgradeList("h2c, WebSocket")); // ["h2c", "WebSocket"]
 * ```
 * @param value The field value.
 * @returns The protocols as written, version included.
 * @throws {SyntaxError} When an element is not `token` or `token/token`.
 */
export function parseUpgradeList(value: string): string[] {
  const protocols: string[] = [];
  const length = value.length;
  let i = skipSeparators(value, 0);
  while (i < length) {
    const start = i;
    let end = scanToken(value, i);
    if (end === i) throw unexpected(value, i, "a protocol name");
    if (end < length && value.charCodeAt(end) === SLASH) {
      const versionEnd = scanToken(value, end + 1);
      if (versionEnd === end + 1) throw unexpected(value, end + 1, "a protocol version");
      end = versionEnd;
    }
    protocols.push(value.slice(start, end));
    i = expectSeparator(value, skipOws(value, end), "a comma");
  }
  return protocols;
}

/**
 * Parses `Sec-WebSocket-Extensions` (rfc6455#section-9.1):
 *
 * ```
 * extension-list  = 1#extension
 * extension       = extension-token *( ";" extension-param )
 * extension-param = token [ "=" (token | quoted-string) ]
 * ```
 *
 * Whitespace is allowed around `,`, `;` and `=`. A quoted value is unescaped and then MUST be a
 * token (rfc6455#section-9.1). Several field lines combined with `", "` form one list.
 *
 * @example
 * ```ts
 * import { parseExtensionList } from "@wsflow/wsflow";
 * const offers = parseExtensionList('permessage-deflate; server_max_window_bits="10", x-foo');
 * console.log(offers[0]!.params); // [["server_max_window_bits", "10"]]
 * console.log(offers[1]!.name); // "x-foo"
 * ```
 * @param value The field value.
 * @returns The extensions in order of preference.
 * @throws {SyntaxError} When the value does not follow the grammar.
 */
export function parseExtensionList(value: string): ExtensionOffer[] {
  const offers: ExtensionOffer[] = [];
  const length = value.length;
  let i = skipSeparators(value, 0);
  while (i < length) {
    const nameEnd = scanToken(value, i);
    if (nameEnd === i) throw unexpected(value, i, "an extension name");
    const offer: ExtensionOffer = { name: value.slice(i, nameEnd), params: [] };
    i = skipOws(value, nameEnd);
    while (i < length && value.charCodeAt(i) === SEMICOLON) {
      i = skipOws(value, i + 1);
      const paramEnd = scanToken(value, i);
      if (paramEnd === i) throw unexpected(value, i, "a parameter name");
      const paramName = value.slice(i, paramEnd);
      let paramValue: string | null = null;
      i = skipOws(value, paramEnd);
      if (i < length && value.charCodeAt(i) === EQUALS) {
        i = skipOws(value, i + 1);
        if (i < length && value.charCodeAt(i) === DQUOTE) {
          const valueStart = i;
          const quoted = readQuotedString(value, i);
          paramValue = quoted.text;
          i = quoted.end;
          if (!isToken(paramValue)) {
            // rfc6455#section-9.1: the unescaped quoted-string MUST conform to the token ABNF
            throw new SyntaxError(
              `Cannot parse header list: the quoted value at offset ${valueStart} is not a token ` +
                `once unescaped (rfc6455#section-9.1)`,
            );
          }
        } else {
          const valueEnd = scanToken(value, i);
          if (valueEnd === i) throw unexpected(value, i, "a parameter value");
          paramValue = value.slice(i, valueEnd);
          i = valueEnd;
        }
        i = skipOws(value, i);
      }
      offer.params.push([paramName, paramValue]);
    }
    offers.push(offer);
    i = expectSeparator(value, i, 'a comma or ";"');
  }
  return offers;
}

/**
 * Writes extensions back as a `Sec-WebSocket-Extensions` value, the inverse of
 * {@linkcode parseExtensionList}. Values are written as bare tokens, which every valid value is
 * (rfc6455#section-9.1).
 *
 * @example
 * ```ts
 * import { formatExtensionList } from "@wsflow/wsflow";
 * const value = formatExtensionList([
 *   { name: "permessage-deflate", params: [["client_max_window_bits", null]] },
 * ]);
 * console.log(value); // "permessage-deflate; client_max_window_bits"
 * ```
 * @param offers The extensions to write.
 * @returns The field value; `""` for no extensions.
 * @throws {TypeError} When a name or value is not a token.
 */
export function formatExtensionList(offers: readonly ExtensionOffer[]): string {
  const parts: string[] = [];
  for (const offer of offers) {
    if (!isToken(offer.name)) {
      throw new TypeError(`Cannot format extension: name "${offer.name}" is not a token`);
    }
    let part = offer.name;
    for (const [name, value] of offer.params) {
      if (!isToken(name)) {
        throw new TypeError(`Cannot format extension parameter: name "${name}" is not a token`);
      }
      if (value !== null && !isToken(value)) {
        throw new TypeError(
          `Cannot format extension parameter ${name}: value "${value}" is not a token ` +
            `(rfc6455#section-9.1)`,
        );
      }
      part += value === null ? `; ${name}` : `; ${name}=${value}`;
    }
    parts.push(part);
  }
  return parts.join(", ");
}

/** Index after the token starting at `start` (`start` itself when there is none). */
function scanToken(value: string, start: number): number {
  let i = start;
  while (i < value.length && isTokenChar(value.charCodeAt(i))) i++;
  return i;
}

/** Index after optional whitespace (OWS = *( SP / HTAB )). */
function skipOws(value: string, start: number): number {
  let i = start;
  while (i < value.length) {
    const code = value.charCodeAt(i);
    if (code !== SP && code !== HTAB) break;
    i++;
  }
  return i;
}

/** Index after any run of whitespace and commas: empty list elements are not errors. */
function skipSeparators(value: string, start: number): number {
  let i = start;
  while (i < value.length) {
    const code = value.charCodeAt(i);
    if (code !== SP && code !== HTAB && code !== COMMA) break;
    i++;
  }
  return i;
}

/** After an element: either the end of the value or a comma, then the next element. */
function expectSeparator(value: string, i: number, expected: string): number {
  if (i >= value.length) return i;
  if (value.charCodeAt(i) !== COMMA) throw unexpected(value, i, expected);
  return skipSeparators(value, i + 1);
}

/**
 * Reads `quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE` (rfc7230#section-3.2.6)
 * starting at the opening quote. Unescaped runs are copied as slices, so the cost is linear.
 */
function readQuotedString(value: string, start: number): { text: string; end: number } {
  let text = "";
  let runStart = start + 1;
  let i = start + 1;
  while (i < value.length) {
    const code = value.charCodeAt(i);
    if (code === DQUOTE) return { text: text + value.slice(runStart, i), end: i + 1 };
    if (code === BACKSLASH) {
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      const escaped = i + 1 < value.length ? value.charCodeAt(i + 1) : -1;
      if (!isQuotedPairChar(escaped)) throw unexpected(value, i + 1, "an escaped character");
      text += value.slice(runStart, i);
      runStart = i + 1;
      i += 2;
      continue;
    }
    // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
    if (!isQuotedPairChar(code)) throw unexpected(value, i, "a quoted character");
    i++;
  }
  throw new SyntaxError(
    `Cannot parse header list: the quoted string at offset ${start} is not closed ` +
      `(rfc7230#section-3.2.6)`,
  );
}

function isQuotedPairChar(code: number): boolean {
  return code === HTAB || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff);
}

function unexpected(value: string, index: number, expected: string): SyntaxError {
  const found = index >= value.length ? "the end" : describeChar(value.charCodeAt(index));
  return new SyntaxError(
    `Cannot parse header list: expected ${expected} at offset ${index}, found ${found} ` +
      `(rfc7230#section-7)`,
  );
}

function describeChar(code: number): string {
  if (code > 0x20 && code < 0x7f) return `"${String.fromCharCode(code)}"`;
  return `0x${code.toString(16).padStart(2, "0")}`;
}
