// The fuzz targets of the hardening work, shared by tests/fuzz/*.test.ts (a fixed seed and few
// runs, so every runtime sees the same cases and each file stays fast) and scripts/fuzz.ts (a
// random seed, printed, and 100 times the runs). No test framework here: a broken property throws
// a plain Error, so the script can run the same code under Node, Bun and Deno.
//
// What is checked, per parser an attacker can reach before the first frame:
// - the HTTP/1.1 request and response head parsers: any bytes give a head or a HandshakeError with
//   one of the documented statuses, never another exception; any chunking gives the same result
//   and fails at the same byte; what is accepted keeps every documented limit;
// - the header list parsers (Connection, Upgrade, Sec-WebSocket-Protocol and -Extensions): any
//   string gives a result or a SyntaxError; Object.prototype names stay plain data;
// - validateUpgradeRequest on any set of header fields: the request's info or a HandshakeError;
// - close payloads, against an independent model of rfc6455#section-7.4 and RFC 3629.
import fc from "fast-check";
import { buildClosePayload, parseClosePayload } from "../../src/protocol/close_payload.ts";
import { HandshakeError, InvalidPayloadError, ProtocolError } from "../../src/protocol/errors.ts";
import { validateUpgradeRequest } from "../../src/protocol/server_handshake.ts";
import {
  type ExtensionOffer,
  formatExtensionList,
  parseExtensionList,
  parseTokenList,
  parseUpgradeList,
} from "../../src/protocol/header_lists.ts";
import { Http1RequestParser } from "../../src/protocol/http1_request_parser.ts";
import { Http1ResponseParser } from "../../src/protocol/http1_response_parser.ts";
import { DEFAULT_LIMITS, type Limits } from "../../src/protocol/limits.ts";

/** The test file each target belongs to. */
export type FuzzGroup = "http1" | "header-lists" | "upgrade-request" | "close-payload";

/** One property: a name for the report, the runs a test run makes, and a fresh property. */
export interface FuzzTarget {
  readonly group: FuzzGroup;
  readonly name: string;
  /** Runs with the fixed seed of the test suite; scripts/fuzz.ts multiplies it. */
  readonly runs: number;
  readonly property: () => fc.IRawProperty<unknown>;
}

/** The seed of the test suite: the same cases on every runtime and every run. */
export const FUZZ_SEED = 6455;

// ---------------------------------------------------------------------------------------------
// Small tools (kept here so the script does not load a test framework)

function fail(message: string): never {
  throw new Error(message);
}

function check(condition: boolean, message: () => string): void {
  if (!condition) fail(message());
}

function show(value: unknown): string {
  return JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? hexOf(v) : v));
}

function sameJson(actual: unknown, expected: unknown, what: string): void {
  const a = show(actual);
  const e = show(expected);
  check(a === e, () => `${what}:\n  actual   ${a}\n  expected ${e}`);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`;
  return `non-Error ${String(error)}`;
}

/** Bytes of a string whose characters are all at most 0xFF (ISO-8859-1). */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new RangeError(`Cannot encode U+${code.toString(16)} as one byte`);
    bytes[i] = code;
  }
  return bytes;
}

function hexOf(bytes: Uint8Array): string {
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** `bytes` cut into pieces of the given sizes, used in turn until the input is used up. */
function chunked(bytes: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = sizes[i % sizes.length]!;
    chunks.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function oneByteChunks(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function isTchar(code: number): boolean {
  return code < 128 && TCHARS.includes(String.fromCharCode(code));
}

function isTokenText(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) if (!isTchar(text.charCodeAt(i))) return false;
  return true;
}

/** Names a hostile peer would use to reach Object.prototype through a parser's output. */
export const PROTOTYPE_NAMES: readonly string[] = Object.freeze([
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "toLocaleString",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "polluted",
]);

// Object.prototype as it is before any input is parsed, to notice a parser writing to it.
const PROTOTYPE_SNAPSHOT = snapshotPrototypes();

function snapshotPrototypes(): string {
  const describe = (target: object): string[] =>
    Reflect.ownKeys(target).map((key) => {
      const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
      const value = "value" in descriptor ? typeof descriptor.value : "accessor";
      return `${String(key)}:${value}`;
    });
  return JSON.stringify([describe(Object.prototype), describe(Array.prototype)]);
}

/**
 * Throws when parsing left a trace on the shared prototypes: a new or changed property on
 * `Object.prototype` or `Array.prototype`, or an ordinary object that no longer looks ordinary.
 */
export function assertPrototypesClean(): void {
  // deno-lint-ignore no-explicit-any
  const plain: any = {};
  check(plain.polluted === undefined, () => "({}).polluted is defined");
  check(plain.constructor === Object, () => "({}).constructor is no longer Object");
  check(Object.getPrototypeOf(plain) === Object.prototype, () => "{}'s prototype changed");
  check(typeof plain.toString === "function", () => "({}).toString is not a function");
  check(typeof plain.hasOwnProperty === "function", () => "({}).hasOwnProperty broke");
  // deno-lint-ignore no-explicit-any
  check(([] as any).polluted === undefined, () => "[].polluted is defined");
  const now = snapshotPrototypes();
  check(now === PROTOTYPE_SNAPSHOT, () => `Object.prototype or Array.prototype changed: ${now}`);
}

// ---------------------------------------------------------------------------------------------
// HTTP/1.1 heads

/** What a head parser made of a byte stream, comparable across chunkings. */
type HeadOutcome =
  | { kind: "head"; head: Record<string, unknown>; rest: string }
  | { kind: "error"; status: number; message: string };

/** Where the failing call was: the bytes delivered before it and through it (end(): both total). */
interface FailureSpan {
  from: number;
  to: number;
}

interface HeadParser<T> {
  push(chunk: Uint8Array): T | null;
  end(): void;
}

/**
 * Feeds `chunks` to a fresh parser, then `end()` if the head never completed. Returns the
 * outcome and, for a failure, which call failed. Anything thrown but a HandshakeError with an
 * allowed status is a broken property. Also checks the documented after-states: after a failure
 * every call throws the same error; after a complete head, `push` throws TypeError.
 */
function driveHead<T extends { rest: Uint8Array }>(
  parser: HeadParser<T>,
  chunks: readonly Uint8Array[],
  statuses: readonly number[],
  describeHead: (head: T) => Record<string, unknown>,
): { outcome: HeadOutcome; span: FailureSpan | undefined } {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  let delivered = 0;
  const failed = (error: unknown, from: number, to: number) => {
    if (!(error instanceof HandshakeError)) {
      fail(`the parser threw ${describeError(error)} (bytes ${from}-${to} of ${total})`);
    }
    check(
      statuses.includes(error.status),
      () => `HandshakeError status ${error.status} is not one of ${statuses}: ${error.message}`,
    );
    for (const again of [() => parser.push(new Uint8Array([0x0d])), () => parser.end()]) {
      try {
        again();
        fail(`the parser accepted a call after failing with "${error.message}"`);
      } catch (later) {
        check(later === error, () => `a later call threw ${describeError(later)}, not the error`);
      }
    }
    return {
      outcome: { kind: "error", status: error.status, message: error.message } as const,
      span: { from, to },
    };
  };
  for (let i = 0; i < chunks.length; i++) {
    const chunk = chunks[i]!;
    let head: T | null;
    try {
      head = parser.push(chunk);
    } catch (error) {
      return failed(error, delivered, delivered + chunk.length);
    }
    delivered += chunk.length;
    if (head === null) continue;
    try {
      parser.push(new Uint8Array(0));
      fail("push after a complete head did not throw");
    } catch (error) {
      check(error instanceof TypeError, () => `push after the head threw ${describeError(error)}`);
    }
    parser.end(); // must not throw once the head is complete
    const rest = concatBytes([head.rest, ...chunks.slice(i + 1)]);
    return {
      outcome: { kind: "head", head: describeHead(head), rest: hexOf(rest) },
      span: undefined,
    };
  }
  try {
    parser.end();
  } catch (error) {
    return failed(error, total, total);
  }
  return fail("end() returned although the head was never complete");
}

/**
 * Runs `bytes` whole, one byte at a time and in the given chunking; all three must agree, and
 * a failure must come from the call that delivered the byte the one-byte run failed at.
 */
function agreeAcrossChunkings<T extends { rest: Uint8Array }>(
  make: () => HeadParser<T>,
  bytes: Uint8Array,
  sizes: readonly number[],
  statuses: readonly number[],
  describeHead: (head: T) => Record<string, unknown>,
): HeadOutcome {
  const whole = driveHead(make(), [bytes], statuses, describeHead);
  const single = driveHead(make(), oneByteChunks(bytes), statuses, describeHead);
  const pieces = driveHead(make(), chunked(bytes, sizes), statuses, describeHead);
  sameJson(single.outcome, whole.outcome, "one byte at a time vs whole");
  sameJson(pieces.outcome, whole.outcome, `chunks of ${sizes} vs whole`);
  if (single.span !== undefined) {
    const at = single.span.from; // the offending byte (or the total, for end())
    for (const [name, span] of [["whole", whole.span], ["chunked", pieces.span]] as const) {
      check(
        span !== undefined && (span.from === span.to ? span.from === at : span.from <= at &&
          at < span.to),
        () => `${name} failed at bytes ${show(span)}, the one-byte run at byte ${at}`,
      );
    }
  }
  return whole.outcome;
}

const CR = 0x0d;
const LF = 0x0a;

/** Checks what the line layer promises of any head it accepted (on the whole input). */
function checkAcceptedHead(
  bytes: Uint8Array,
  rest: Uint8Array,
  fields: readonly (readonly [string, string])[],
  limits: Readonly<Limits>,
): void {
  const headLength = bytes.length - rest.length;
  check(headLength <= limits.maxHeaderBytes, () => `head of ${headLength} bytes accepted`);
  check(fields.length <= limits.maxHeaderCount, () => `${fields.length} fields accepted`);
  const head = bytes.subarray(0, headLength);
  check(
    head.length >= 2 && head[head.length - 1] === LF && head[head.length - 2] === CR,
    () => "the head does not end with CRLF",
  );
  let lineStart = 0;
  for (let i = 0; i < head.length; i++) {
    if (head[i] !== LF) continue;
    check(i > lineStart && head[i - 1] === CR, () => `bare LF at byte ${i} accepted`);
    const lineLength = i - 1 - lineStart;
    check(lineLength <= limits.maxLineBytes, () => `line of ${lineLength} bytes accepted`);
    for (let j = lineStart; j < i - 1; j++) {
      check(head[j] !== CR, () => `bare CR at byte ${j} accepted`);
    }
    lineStart = i + 1;
  }
  for (const [name, value] of fields) {
    check(isTokenText(name), () => `field name ${show(name)} is not a token`);
    for (let i = 0; i < value.length; i++) {
      const code = value.charCodeAt(i);
      check(
        code === 0x09 || (code >= 0x20 && code !== 0x7f && code <= 0xff),
        () => `field ${name} holds control byte 0x${code.toString(16)}`,
      );
    }
    const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, "");
    check(trimmed === value, () => `field ${name} value ${show(value)} keeps outer whitespace`);
  }
}

const HEAD_PIECES: readonly string[] = [
  "GET",
  "POST",
  "HEAD",
  " ",
  "  ",
  "\t",
  "/",
  "/chat?room=1",
  "*",
  "http://a/",
  "HTTP/1.1",
  "HTTP/1.0",
  "HTTP/2.0",
  "HTTP/1.",
  "http/1.1",
  "HTTP/1.1 101 Switching Protocols",
  "HTTP/1.1 200",
  "HTTP/1.1 99 x",
  "HTTP/1.1 6000",
  "101",
  "\r\n",
  "\r\n",
  "\r\n",
  "\r\n\r\n",
  "\r",
  "\n",
  ":",
  ": ",
  " :",
  "Host",
  "Upgrade",
  "websocket",
  "Connection",
  "upgrade",
  "Sec-WebSocket-Key",
  "dGhlIHNhbXBsZSBub25jZQ==",
  "Sec-WebSocket-Version",
  "13",
  "Sec-WebSocket-Extensions",
  'permessage-deflate; x="1"',
  "__proto__",
  "constructor",
  ",",
  ";",
  "=",
  '"',
  "\\",
  "\x00",
  "\x01",
  "\x0b",
  "\x7f",
  "\x80",
  "\xff",
  "\xe9",
  "a",
  "Z9",
];

const fieldNameArb = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });

// Field values: visible ASCII, obs-text, and inner SP/HTAB; outer whitespace is OWS.
const fieldValueCharArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.constantFrom(" ", "\t") },
);
const fieldValueArb = fc.string({ unit: fieldValueCharArb, maxLength: 24 });

const visibleArb = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));

interface WellFormedRequest {
  method: string;
  target: string;
  version: string;
  fields: [string, string][];
  trailing: Uint8Array;
}

const wellFormedRequestArb: fc.Arbitrary<WellFormedRequest> = fc.record({
  method: fc.oneof(fc.constantFrom("GET", "POST", "OPTIONS"), fieldNameArb),
  target: fc.oneof(
    fc.constantFrom("/", "/chat?room=1", "*", "http://example.com/a"),
    fc.string({ unit: visibleArb, minLength: 1, maxLength: 30 }),
  ),
  version: fc.integer({ min: 0, max: 9 }).map((minor) => `HTTP/1.${minor}`),
  fields: fc.array(fc.tuple(fieldNameArb, fieldValueArb), { maxLength: 10 }),
  trailing: fc.uint8Array({ maxLength: 20 }),
});

function requestHeadText(request: WellFormedRequest, leadingEmptyLines = 0): string {
  const lines = [`${request.method} ${request.target} ${request.version}`];
  for (const [name, value] of request.fields) lines.push(`${name}: ${value}`);
  return "\r\n".repeat(leadingEmptyLines) + lines.join("\r\n") + "\r\n\r\n";
}

interface Edit {
  at: number;
  op: "set" | "insert" | "delete";
  byte: number;
}

const interestingByteArb = fc.oneof(
  fc.constantFrom(0x00, 0x09, 0x0a, 0x0d, 0x20, 0x22, 0x2c, 0x3a, 0x3b, 0x5c, 0x7f, 0x80, 0xff),
  fc.integer({ min: 0, max: 255 }),
);

const editsArb: fc.Arbitrary<Edit[]> = fc.array(
  fc.record({
    at: fc.nat(),
    op: fc.constantFrom("set", "insert", "delete") as fc.Arbitrary<Edit["op"]>,
    byte: interestingByteArb,
  }),
  { maxLength: 4 },
);

function applyEdits(bytes: Uint8Array, edits: readonly Edit[], cut: number | null): Uint8Array {
  const out = Array.from(bytes);
  for (const edit of edits) {
    const at = out.length === 0 ? 0 : edit.at % (out.length + (edit.op === "insert" ? 1 : 0));
    if (edit.op === "set" && out.length > 0) out[at] = edit.byte;
    else if (edit.op === "insert") out.splice(at, 0, edit.byte);
    else if (edit.op === "delete" && out.length > 0) out.splice(at, 1);
  }
  const result = Uint8Array.from(out);
  return cut === null ? result : result.subarray(0, cut % (result.length + 1));
}

/** Bytes that look like an HTTP head: noise, a soup of HTTP pieces, or a valid head mutated. */
function headBytesArb(validHead: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    {
      weight: 2,
      arbitrary: fc.array(fc.constantFrom(...HEAD_PIECES), { maxLength: 40 })
        .map((pieces) => latin1Bytes(pieces.join(""))),
    },
    {
      weight: 5,
      arbitrary: fc.tuple(
        validHead,
        editsArb,
        fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat() }),
      ).map(([bytes, edits, cut]) => applyEdits(bytes, edits, cut)),
    },
  );
}

const validRequestBytesArb = fc.tuple(wellFormedRequestArb, fc.integer({ min: 0, max: 2 }))
  .map(([request, empty]) =>
    concatBytes([latin1Bytes(requestHeadText(request, empty)), request.trailing])
  );

const validResponseBytesArb = fc.record({
  status: fc.integer({ min: 100, max: 599 }),
  reason: fc.string({ unit: fieldValueCharArb, maxLength: 20 }),
  fields: fc.array(fc.tuple(fieldNameArb, fieldValueArb), { maxLength: 8 }),
  trailing: fc.uint8Array({ maxLength: 12 }),
}).map(({ status, reason, fields, trailing }) =>
  concatBytes([
    latin1Bytes(
      [`HTTP/1.1 ${status} ${reason}`, ...fields.map(([n, v]) => `${n}: ${v}`)].join("\r\n") +
        "\r\n\r\n",
    ),
    trailing,
  ])
);

/** Default limits, or small ones so that random input reaches every limit. */
const headLimitsArb: fc.Arbitrary<Partial<Limits>> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  {
    weight: 2,
    arbitrary: fc.record({
      maxLineBytes: fc.integer({ min: 1, max: 120 }),
      maxHeaderBytes: fc.integer({ min: 1, max: 600 }),
      maxHeaderCount: fc.integer({ min: 1, max: 10 }),
    }),
  },
);

const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 });

function resolved(limits: Partial<Limits>): Readonly<Limits> {
  return { ...DEFAULT_LIMITS, ...limits };
}

const REQUEST_STATUSES = [400, 414, 431, 505] as const;

function describeRequest(request: {
  method: string;
  target: string;
  version: string;
  rawHeaders: [string, string][];
  headers: Headers;
}): Record<string, unknown> {
  return {
    method: request.method,
    target: request.target,
    version: request.version,
    rawHeaders: request.rawHeaders,
    headers: [...request.headers],
  };
}

function describeResponse(response: {
  version: string;
  status: number;
  statusText: string;
  rawHeaders: [string, string][];
  headers: Headers;
}): Record<string, unknown> {
  return {
    version: response.version,
    status: response.status,
    statusText: response.statusText,
    rawHeaders: response.rawHeaders,
    headers: [...response.headers],
  };
}

function trimOws(value: string): string {
  let from = 0;
  let to = value.length;
  while (from < to && (value[from] === " " || value[from] === "\t")) from++;
  while (to > from && (value[to - 1] === " " || value[to - 1] === "\t")) to--;
  return value.slice(from, to);
}

const http1Targets: FuzzTarget[] = [
  {
    group: "http1",
    name:
      "rfc7230#section-3 Http1RequestParser: any bytes give a request or a HandshakeError (400, 414, 431, 505), the same in any chunking, failing at the same byte",
    runs: 250,
    property: () =>
      fc.property(
        headBytesArb(validRequestBytesArb),
        headLimitsArb,
        chunkSizesArb,
        (bytes, limits, sizes) => {
          const outcome = agreeAcrossChunkings(
            () => new Http1RequestParser(limits),
            bytes,
            sizes,
            REQUEST_STATUSES,
            describeRequest,
          );
          if (outcome.kind === "head") {
            const request = new Http1RequestParser(limits).push(bytes.slice())!;
            checkAcceptedHead(bytes, request.rest, request.rawHeaders, resolved(limits));
            check(isTokenText(request.method), () => `method ${show(request.method)}`);
            check(/^HTTP\/1\.[0-9]$/.test(request.version), () => `version ${request.version}`);
            check(
              /^[\x21-\x7e]+$/.test(request.target),
              () => `target ${show(request.target)} accepted`,
            );
          }
        },
      ) as fc.IRawProperty<unknown>,
  },
  {
    group: "http1",
    name:
      "rfc7230#section-3.2 Http1RequestParser: a well-formed head gives exactly its fields (values without OWS) in any chunking, and keeps the bytes after it",
    runs: 150,
    property: () =>
      fc.property(
        wellFormedRequestArb,
        fc.integer({ min: 0, max: 2 }),
        chunkSizesArb,
        (request, empty, sizes) => {
          const head = latin1Bytes(requestHeadText(request, empty));
          const bytes = concatBytes([head, request.trailing]);
          const outcome = agreeAcrossChunkings(
            () => new Http1RequestParser(),
            bytes,
            sizes,
            REQUEST_STATUSES,
            describeRequest,
          );
          const fields = request.fields.map(([name, value]) => [name, trimOws(value)]);
          const expected = new Headers();
          for (const [name, value] of fields) expected.append(name!, value!);
          sameJson(outcome, {
            kind: "head",
            head: {
              method: request.method,
              target: request.target,
              version: request.version,
              rawHeaders: fields,
              headers: [...expected],
            },
            rest: hexOf(request.trailing),
          }, "parsed request");
        },
      ) as fc.IRawProperty<unknown>,
  },
  {
    group: "http1",
    name:
      "rfc7230#section-3.1.2 Http1ResponseParser: any bytes give a response or a HandshakeError (status 0), the same in any chunking, failing at the same byte",
    runs: 250,
    property: () =>
      fc.property(
        headBytesArb(validResponseBytesArb),
        headLimitsArb,
        chunkSizesArb,
        (bytes, limits, sizes) => {
          const outcome = agreeAcrossChunkings(
            () => new Http1ResponseParser(limits),
            bytes,
            sizes,
            [0],
            describeResponse,
          );
          if (outcome.kind === "head") {
            const response = new Http1ResponseParser(limits).push(bytes.slice())!;
            checkAcceptedHead(bytes, response.rest, response.rawHeaders, resolved(limits));
            check(
              Number.isInteger(response.status) && response.status >= 100 &&
                response.status <= 599,
              () => `status ${response.status} accepted`,
            );
          }
        },
      ) as fc.IRawProperty<unknown>,
  },
];

// ---------------------------------------------------------------------------------------------
// Header lists

// Characters that steer the list grammar, plus what must never pass: controls, DEL, non-Latin-1.
const LIST_PIECES: readonly string[] = [
  ...PROTOTYPE_NAMES,
  "permessage-deflate",
  "client_max_window_bits",
  "a",
  "b1",
  "x-y",
  " ",
  "\t",
  ",",
  ", ",
  " ,",
  ";",
  "; ",
  "=",
  " = ",
  '"',
  '\\"',
  "\\",
  "\\\\",
  "/",
  "(",
  ")",
  "@",
  "{",
  "\x00",
  "\x7f",
  "\x80",
  "\xff",
  "\u0100",
  "\ud800",
  "\u{1f600}",
];

const listStringArb: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(fc.constantFrom(...LIST_PIECES), { maxLength: 30 }).map((p) => p.join("")),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
);

function callParser<T>(parse: (value: string) => T, value: string, name: string): T | undefined {
  try {
    return parse(value);
  } catch (error) {
    check(
      error instanceof SyntaxError,
      () => `${name}(${show(value)}) threw ${describeError(error)}, not SyntaxError`,
    );
    return undefined;
  }
}

/** An extension offer must be a plain record of exactly `name` and `params`, all strings. */
function checkOfferShape(offer: ExtensionOffer, value: string): void {
  check(
    Object.getPrototypeOf(offer) === Object.prototype,
    () => `an offer of ${show(value)} is not a plain object`,
  );
  sameJson(Object.keys(offer), ["name", "params"], `own keys of an offer of ${show(value)}`);
  check(isTokenText(offer.name), () => `extension name ${show(offer.name)} is not a token`);
  check(Array.isArray(offer.params), () => `params of ${show(value)} are not an array`);
  for (const param of offer.params) {
    check(Array.isArray(param) && param.length === 2, () => `param ${show(param)} is not a pair`);
    const [name, paramValue] = param;
    check(typeof name === "string" && isTokenText(name), () => `param name ${show(name)}`);
    check(
      paramValue === null || (typeof paramValue === "string" && isTokenText(paramValue)),
      () => `param value ${show(paramValue)} is neither null nor a token (rfc6455#section-9.1)`,
    );
  }
}

// An extension list built from parts, with the offers it must parse to.
interface BuiltList {
  text: string;
  offers: ExtensionOffer[];
}

const protoOrTokenArb = fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), fieldNameArb);
const owsArb = fc.constantFrom("", " ", "\t", "  ");

const builtListArb: fc.Arbitrary<BuiltList> = fc.array(
  fc.record({
    name: protoOrTokenArb,
    params: fc.array(
      fc.record({
        name: protoOrTokenArb,
        value: fc.option(protoOrTokenArb, { nil: null }),
        quoted: fc.boolean(),
        escaped: fc.boolean(),
        ows: owsArb,
      }),
      { maxLength: 4 },
    ),
    ows: owsArb,
  }),
  { minLength: 1, maxLength: 4 },
).map((offers) => {
  const parts = offers.map((offer) => {
    let part = offer.name + offer.ows;
    for (const param of offer.params) {
      part += `;${param.ows}${param.name}`;
      if (param.value === null) continue;
      let written = param.value;
      if (param.quoted) {
        // quoted-pair: every character may be escaped (rfc7230#section-3.2.6)
        written = param.escaped ? [...written].map((c) => `\\${c}`).join("") : written;
        written = `"${written}"`;
      }
      part += `${param.ows}=${param.ows}${written}`;
    }
    return part;
  });
  return {
    text: parts.join(", "),
    offers: offers.map((offer) => ({
      name: offer.name,
      params: offer.params.map((p): [string, string | null] => [p.name, p.value]),
    })),
  };
});

const headerListTargets: FuzzTarget[] = [
  {
    group: "header-lists",
    name:
      "rfc7230#section-7 parseTokenList, parseUpgradeList, parseExtensionList: any string gives a well-formed result or a SyntaxError, and what they accept round-trips",
    runs: 400,
    property: () =>
      fc.property(listStringArb, (value) => {
        const tokens = callParser(parseTokenList, value, "parseTokenList");
        if (tokens !== undefined) {
          for (const token of tokens) check(isTokenText(token), () => `token ${show(token)}`);
          sameJson(parseTokenList(tokens.join(", ")), tokens, "parseTokenList round trip");
        }
        const upgrades = callParser(parseUpgradeList, value, "parseUpgradeList");
        if (upgrades !== undefined) {
          for (const protocol of upgrades) {
            const [name, version, extra] = protocol.split("/");
            check(
              isTokenText(name!) && (version === undefined || isTokenText(version)) &&
                extra === undefined,
              () => `upgrade protocol ${show(protocol)} is not token[/token]`,
            );
          }
          sameJson(parseUpgradeList(upgrades.join(", ")), upgrades, "parseUpgradeList round trip");
        }
        const offers = callParser(parseExtensionList, value, "parseExtensionList");
        if (offers !== undefined) {
          for (const offer of offers) checkOfferShape(offer, value);
          sameJson(
            parseExtensionList(formatExtensionList(offers)),
            offers,
            "parseExtensionList(formatExtensionList(offers))",
          );
        }
        assertPrototypesClean();
      }) as fc.IRawProperty<unknown>,
  },
  {
    group: "header-lists",
    name:
      "rfc6455#section-9.1 Object.prototype names as extension names, parameter names and values, quoted or escaped, stay plain data and pollute nothing",
    runs: 300,
    property: () =>
      fc.property(builtListArb, (list) => {
        const offers = parseExtensionList(list.text);
        sameJson(offers, list.offers, `parseExtensionList(${show(list.text)})`);
        for (const offer of offers) {
          checkOfferShape(offer, list.text);
          // How a caller looks parameters up: a Map keeps "__proto__" as an ordinary key.
          const params = new Map(offer.params);
          for (const [name, value] of offer.params) {
            check(params.has(name), () => `Map lost parameter ${show(name)}`);
            if (offer.params.filter(([n]) => n === name).length === 1) {
              check(params.get(name) === value, () => `Map.get(${show(name)}) changed`);
            }
          }
        }
        const names = parseTokenList(list.offers.map((offer) => offer.name).join(", "));
        sameJson(names, list.offers.map((offer) => offer.name), "names as a token list");
        assertPrototypesClean();
      }) as fc.IRawProperty<unknown>,
  },
];

// ---------------------------------------------------------------------------------------------
// validateUpgradeRequest

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

const BASE_FIELDS: readonly (readonly [string, string])[] = [
  ["Host", "example.com"],
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Key", KEY],
  ["Sec-WebSocket-Version", "13"],
];

const UPGRADE_NAMES: readonly string[] = [
  "Host",
  "Upgrade",
  "Connection",
  "Sec-WebSocket-Key",
  "Sec-WebSocket-Version",
  "Sec-WebSocket-Protocol",
  "Sec-WebSocket-Extensions",
  "Origin",
  "host",
  "UPGRADE",
  "sec-websocket-key",
  ...PROTOTYPE_NAMES.filter((name) => isTokenText(name)),
];

const UPGRADE_VALUES: readonly string[] = [
  "websocket",
  "WebSocket",
  "h2c, websocket",
  "websocket/13",
  "Upgrade",
  "keep-alive, Upgrade",
  "close",
  "13",
  "8",
  "13, 8",
  KEY,
  "dGhlIHNhbXBsZSBub25jZQ",
  "AAAAAAAAAAAAAAAAAAAAAA==",
  "!!!!!!!!!!!!!!!!!!!!!!==",
  "chat, superchat",
  "chat, chat",
  "chat,,",
  'permessage-deflate; client_max_window_bits; server_max_window_bits="10"',
  "__proto__; constructor=1; toString",
  'x; __proto__="polluted"',
  'x; p="unclosed',
  "example.com",
  "example.com:8080",
  "a, b",
  "https://example.com",
  "null",
  "",
  ",",
];

const upgradeFieldArb: fc.Arbitrary<[string, string]> = fc.tuple(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...UPGRADE_NAMES) }, {
    weight: 1,
    arbitrary: fieldNameArb,
  }),
  fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...UPGRADE_VALUES) }, {
    weight: 2,
    arbitrary: fieldValueArb.map(trimOws),
  }, { weight: 1, arbitrary: listStringArb.filter(isFieldValueText).map(trimOws) }),
);

function isFieldValueText(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09) || code === 0x7f || code > 0xff) return false;
  }
  return true;
}

interface UpgradeCase {
  method: string;
  version: string | undefined;
  fields: [string, string][];
  withRawHeaders: boolean;
}

function weighted<T>(common: T, rare: fc.Arbitrary<T>, weight: number): fc.Arbitrary<T> {
  return fc.oneof({ weight, arbitrary: fc.constant(common) }, { weight: 1, arbitrary: rare });
}

const OPTIONAL_NAMES: readonly string[] = [
  "Sec-WebSocket-Protocol",
  "Sec-WebSocket-Extensions",
  "Origin",
];

const optionalFieldArb: fc.Arbitrary<[string, string]> = fc.tuple(
  fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...OPTIONAL_NAMES) }, {
    weight: 1,
    arbitrary: fc.constantFrom(...UPGRADE_NAMES),
  }),
  upgradeFieldArb.map(([, value]) => value),
);

const upgradeCaseArb: fc.Arbitrary<UpgradeCase> = fc.record({
  method: weighted("GET", fc.constantFrom("POST", "get", "HEAD", "CONNECT"), 8),
  version: weighted<string | undefined>(
    "HTTP/1.1",
    fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/1.9", undefined),
    6,
  ),
  fields: fc.oneof(
    {
      // The valid base, each field kept most of the time, at most one value replaced, and
      // optional fields (subprotocols, extensions, origin, repeats) added.
      weight: 5,
      arbitrary: fc.tuple(
        fc.array(weighted(true, fc.constant(false), 12), {
          minLength: BASE_FIELDS.length,
          maxLength: BASE_FIELDS.length,
        }),
        fc.option(
          fc.tuple(fc.nat(BASE_FIELDS.length - 1), upgradeFieldArb.map(([, v]) => v)),
          { nil: undefined, freq: 2 },
        ),
        fc.array(optionalFieldArb, { maxLength: 4 }),
      ).map(([keep, replace, extra]) => {
        const fields = BASE_FIELDS.map(([n, v]) => [n, v] as [string, string]);
        if (replace !== undefined) fields[replace[0]]![1] = replace[1];
        return [...fields.filter((_, i) => keep[i]), ...extra];
      }),
    },
    { weight: 1, arbitrary: fc.array(upgradeFieldArb, { maxLength: 12 }) },
  ),
  withRawHeaders: fc.boolean(),
});

function buildHeaders(fields: readonly (readonly [string, string])[]): Headers {
  const headers = new Headers();
  for (const [name, value] of fields) headers.append(name, value);
  return headers;
}

function checkUpgradeOutcome(run: () => unknown, what: () => string): void {
  let info: ReturnType<typeof validateUpgradeRequest>;
  try {
    info = run() as ReturnType<typeof validateUpgradeRequest>;
  } catch (error) {
    if (!(error instanceof HandshakeError)) fail(`${what()} threw ${describeError(error)}`);
    check(
      [400, 405, 426].includes(error.status),
      () => `${what()}: status ${error.status} (${error.message})`,
    );
    if (error.status === 426) {
      check(
        error.headers.get("sec-websocket-version") === "13" &&
          error.headers.get("upgrade") === "websocket",
        () => `426 without Upgrade and Sec-WebSocket-Version: ${[...error.headers]}`,
      );
    }
    if (error.status === 405) {
      check(error.headers.get("allow") === "GET", () => "405 without Allow: GET");
    }
    assertPrototypesClean();
    return;
  }
  check(
    info.key.length === 24 && info.key.endsWith("==") && /^[A-Za-z0-9+/]{22}==$/.test(info.key),
    () => `${what()}: key ${show(info.key)} accepted (rfc6455#section-4.2.1)`,
  );
  check(info.host.length > 0 && !info.host.includes(","), () => `host ${show(info.host)}`);
  check(new Set(info.protocols).size === info.protocols.length, () => "repeated subprotocols");
  for (const protocol of info.protocols) {
    check(isTokenText(protocol), () => `subprotocol ${show(protocol)} is not a token`);
  }
  for (const offer of info.extensions) checkOfferShape(offer, "Sec-WebSocket-Extensions");
  assertPrototypesClean();
}

const upgradeTargets: FuzzTarget[] = [
  {
    group: "upgrade-request",
    name:
      "rfc6455#section-4.2.1 validateUpgradeRequest: any method, version and header fields give the request's info or a HandshakeError (400, 405, 426)",
    runs: 400,
    property: () =>
      fc.property(upgradeCaseArb, (upgrade) => {
        const headers = buildHeaders(upgrade.fields);
        checkUpgradeOutcome(
          () =>
            validateUpgradeRequest({
              method: upgrade.method,
              headers,
              version: upgrade.version,
              rawHeaders: upgrade.withRawHeaders ? upgrade.fields : undefined,
            }),
          () => `validateUpgradeRequest(${show(upgrade)})`,
        );
      }) as fc.IRawProperty<unknown>,
  },
  {
    group: "upgrade-request",
    name:
      "rfc6455#section-4.2.1 bytes through Http1RequestParser and validateUpgradeRequest: a valid upgrade, or a HandshakeError, never another exception",
    runs: 250,
    property: () =>
      fc.property(
        headBytesArb(
          fc.tuple(
            fc.array(upgradeFieldArb, { maxLength: 4 }),
            fc.constantFrom("GET / HTTP/1.1", "GET /chat?x=1 HTTP/1.1", "POST / HTTP/1.1"),
          ).map(([extra, line]) =>
            latin1Bytes(
              [line, ...[...BASE_FIELDS, ...extra].map(([n, v]) => `${n}: ${v}`)].join("\r\n") +
                "\r\n\r\n",
            )
          ),
        ),
        (bytes) => {
          const parser = new Http1RequestParser();
          let request: ReturnType<Http1RequestParser["push"]> = null;
          try {
            request = parser.push(bytes);
            if (request === null) parser.end();
          } catch (error) {
            if (!(error instanceof HandshakeError)) {
              fail(`Http1RequestParser threw ${describeError(error)} on ${hexOf(bytes)}`);
            }
            return;
          }
          const parsed = request!;
          checkUpgradeOutcome(
            () => validateUpgradeRequest(parsed),
            () => `validateUpgradeRequest of ${show(hexOf(bytes))}`,
          );
        },
      ) as fc.IRawProperty<unknown>,
  },
];

// ---------------------------------------------------------------------------------------------
// Close payloads

/** rfc6455#section-7.4.1, 7.4.2 and the IANA registry, restated: what may be on the wire. */
function modelReceivable(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

/** RFC 3629 section 4, restated byte by byte: shortest forms, no surrogates, up to U+10FFFF. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      if (b0 === 0xe0) low = 0xa0; // no overlong
      if (b0 === 0xed) high = 0x9f; // no surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      if (b0 === 0xf0) low = 0x90; // no overlong
      if (b0 === 0xf4) high = 0x8f; // up to U+10FFFF
    } else return false;
    const b1 = bytes[i + 1];
    if (b1 === undefined || b1 < low || b1 > high) return false;
    for (let k = 2; k <= need; k++) {
      const b = bytes[i + k];
      if (b === undefined || b < 0x80 || b > 0xbf) return false;
    }
    i += need + 1;
  }
  return true;
}

const utf8Encoder = new TextEncoder();

const reasonBytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }).map((text) =>
    utf8Encoder.encode(text).slice(0, 123)
  ),
  fc.uint8Array({ maxLength: 123 }),
  fc.tuple(fc.string({ unit: "binary", minLength: 1, maxLength: 30 }), fc.nat(), interestingByteArb)
    .map(([text, at, byte]) => {
      const bytes = utf8Encoder.encode(text).slice(0, 123);
      bytes[at % bytes.length] = byte;
      return bytes;
    }),
  fc.constantFrom(
    new Uint8Array([0xc0, 0xaf]),
    new Uint8Array([0xed, 0xa0, 0x80]),
    new Uint8Array([0xf4, 0x90, 0x80, 0x80]),
    new Uint8Array([0xce]),
    new Uint8Array([0xef, 0xbb, 0xbf]),
  ),
);

const closeCodeArb = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }),
  fc.constantFrom(
    0,
    999,
    1000,
    1003,
    1004,
    1005,
    1006,
    1007,
    1014,
    1015,
    1016,
    2999,
    3000,
    4999,
    5000,
  ),
);

const closePayloadTargets: FuzzTarget[] = [
  {
    group: "close-payload",
    name:
      "rfc6455#section-7.4 parseClosePayload: a code and reason bytes are accepted exactly when the code may be on the wire and the reason is UTF-8; otherwise 1002 or 1007",
    runs: 500,
    property: () =>
      fc.property(closeCodeArb, reasonBytesArb, (code, reason) => {
        const payload = concatBytes([new Uint8Array([code >> 8, code & 0xff]), reason]);
        let info: ReturnType<typeof parseClosePayload> | undefined;
        let error: unknown;
        try {
          info = parseClosePayload(payload);
        } catch (caught) {
          error = caught;
        }
        if (!modelReceivable(code)) {
          check(
            error instanceof ProtocolError && error.closeCode === 1002,
            () => `code ${code}: expected ProtocolError 1002, got ${describeError(error ?? info)}`,
          );
        } else if (!isValidUtf8(reason)) {
          check(
            error instanceof InvalidPayloadError && error.closeCode === 1007,
            () => `reason ${hexOf(reason)}: expected 1007, got ${describeError(error ?? info)}`,
          );
        } else {
          check(error === undefined, () => `valid close payload refused: ${describeError(error)}`);
          check(info!.code === code, () => `code ${info!.code}, expected ${code}`);
          sameJson(utf8Encoder.encode(info!.reason), reason, "reason bytes");
        }
      }) as fc.IRawProperty<unknown>,
  },
  {
    group: "close-payload",
    name:
      "rfc6455#section-5.5.1 parseClosePayload: empty is 1005, one byte is 1002, whatever the byte",
    runs: 50,
    property: () =>
      fc.property(fc.integer({ min: 0, max: 255 }), (byte) => {
        sameJson(parseClosePayload(new Uint8Array(0)), { code: 1005, reason: "" }, "empty");
        try {
          parseClosePayload(new Uint8Array([byte]));
          fail(`one-byte close payload ${byte} accepted`);
        } catch (error) {
          check(error instanceof ProtocolError, () => `one byte: ${describeError(error)}`);
        }
      }) as fc.IRawProperty<unknown>,
  },
  {
    group: "close-payload",
    name:
      "rfc6455#section-5.5 buildClosePayload: any code and reason give at most 125 bytes that parse back, or a RangeError or TypeError",
    runs: 400,
    property: () =>
      fc.property(
        fc.option(
          fc.oneof(closeCodeArb, fc.integer({ min: -5, max: 70_000 }), fc.double()),
          { nil: undefined },
        ),
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 60 }),
          fc.array(fc.constantFrom("a", "é", "€", "\u{1f600}", "\ud800", "\udfff"), {
            maxLength: 70,
          }).map((parts) => parts.join("")),
          fc.constant(""),
        ),
        (code, reason) => {
          // TextEncoder turns a lone surrogate into U+FFFD: the reason that is sent.
          const sent = new TextDecoder().decode(utf8Encoder.encode(reason));
          const reasonBytes = utf8Encoder.encode(reason).length;
          let payload: Uint8Array | undefined;
          let error: unknown;
          try {
            payload = buildClosePayload(code, reason);
          } catch (caught) {
            error = caught;
          }
          if (code === undefined) {
            if (reason === "") sameJson(payload, new Uint8Array(0), "no code, no reason");
            else {check(
                error instanceof TypeError,
                () => `reason without code: ${describeError(error)}`,
              );}
            return;
          }
          const sendable = Number.isInteger(code) && modelReceivable(code);
          if (!sendable || reasonBytes > 123) {
            check(
              error instanceof RangeError,
              () => `code ${code}, ${reasonBytes} bytes: ${describeError(error ?? payload)}`,
            );
            return;
          }
          check(error === undefined, () => `code ${code} refused: ${describeError(error)}`);
          check(payload!.length <= 125, () => `payload of ${payload!.length} bytes`);
          sameJson(
            parseClosePayload(payload!),
            { code, reason: sent },
            "parse(build(code, reason))",
          );
        },
      ) as fc.IRawProperty<unknown>,
  },
];

/** Every fuzz target, in report order. */
export const FUZZ_TARGETS: readonly FuzzTarget[] = Object.freeze([
  ...http1Targets,
  ...headerListTargets,
  ...upgradeTargets,
  ...closePayloadTargets,
]);

/** The targets of one group. */
export function fuzzTargets(group: FuzzGroup): FuzzTarget[] {
  return FUZZ_TARGETS.filter((target) => target.group === group);
}
