// Linear-time checks of every parser that reads attacker-chosen header text before the first
// frame (ReDoS and re-parsing history: ws CVE-2021-32640, faye websocket-extensions
// GHSA-g78m-2chm-r7qv, tungstenite CVE-2023-43669). Each case feeds an adversarial input of one
// shape at 8 KiB and at 64 KiB and compares the times: linear work gives a ratio near 8,
// quadratic near 64. The ratio, not an absolute time, is asserted, so a slow or busy machine
// does not fail it. No test framework here: scripts/fuzz.ts runs the same cases.
import { HandshakeError } from "../../src/protocol/errors.ts";
import { validateUpgradeRequest } from "../../src/protocol/server_handshake.ts";
import { parseExtensionList, parseTokenList } from "../../src/protocol/header_lists.ts";
import { Http1RequestParser } from "../../src/protocol/http1_request_parser.ts";
import type { Limits } from "../../src/protocol/limits.ts";

/** The two sizes compared. */
export const SMALL_BYTES: number = 8 * 1024;
export const LARGE_BYTES: number = 64 * 1024;
/**
 * Largest accepted time ratio for 8 times the input: linear work gives about 8, quadratic about
 * 64. Twice the linear ratio, because linear parsers measured 8 to 11.6 on a shared two-core
 * machine (a 64 KiB input no longer fits the first-level cache, and parsers that allocate one
 * object per list element pay garbage collection that grows with what is alive), so 10 would
 * fail correct code; 16 still catches anything quadratic with a wide margin.
 */
export const MAX_RATIO: number = 16;

/** An adversarial header value of about `size` characters. */
export interface Shape {
  readonly name: string;
  readonly make: (size: number) => string;
}

function repeatTo(unit: string, size: number, prefix = "", suffix = ""): string {
  const count = Math.max(1, Math.floor((size - prefix.length - suffix.length) / unit.length));
  return prefix + unit.repeat(count) + suffix;
}

/** Shapes that stress a comma-separated token list (rfc7230#section-7). */
export const LIST_SHAPES: readonly Shape[] = [
  { name: "spaces", make: (n) => repeatTo(" ", n, "a", "b") },
  { name: "commas", make: (n) => repeatTo(",", n) },
  { name: "tabs", make: (n) => repeatTo("\t", n, "a", "b") },
  { name: "backslashes", make: (n) => repeatTo("\\", n) },
  { name: "double quotes", make: (n) => repeatTo('"', n) },
  { name: '"a," repeated', make: (n) => repeatTo("a,", n) },
];

/** Shapes that stress extension parameters and quoted strings (rfc6455#section-9.1). */
export const EXTENSION_SHAPES: readonly Shape[] = [
  { name: 'an unclosed quoted string of "\\\\" pairs', make: (n) => repeatTo("\\\\", n, 'x; p="') },
  { name: 'an unclosed quoted string of "\\c"', make: (n) => repeatTo("\\c", n, 'x; p="') },
  { name: '";a=b" parameters', make: (n) => repeatTo(";a=b", n, "x") },
];

/** One function under test with the shapes it is fed; `run` swallows the expected refusals. */
export interface LinearCase {
  /** The test file that runs it. */
  readonly group: "header-lists" | "upgrade-request" | "http1";
  readonly name: string;
  readonly shape: string;
  /** Builds the input for a size (outside the timed loop). */
  readonly prepare: (size: number) => unknown;
  readonly run: (input: unknown) => void;
}

function expectSyntaxError(parse: (value: string) => unknown): (input: unknown) => void {
  return (input) => {
    try {
      parse(input as string);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
    }
  };
}

function expectHandshakeError(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
  }
}

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

function upgradeHeaders(name: string, value: string): Headers {
  const headers = new Headers({
    Host: "example.com",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": KEY,
    "Sec-WebSocket-Version": "13",
  });
  // Headers trims outer whitespace; the shapes' inner structure stays.
  if (name === "Upgrade" || name === "Connection") {
    headers.set(name, `${value}, ${headers.get(name)}`);
  } else headers.set(name, value);
  return headers;
}

function latin1(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Limits high enough that the whole 64 KiB input is parsed rather than refused at 8 KiB. */
const ROOMY: Partial<Limits> = {
  maxLineBytes: 1 << 20,
  maxHeaderBytes: 1 << 20,
  // The highest count resolveLimits accepts (MAX_HEADER_COUNT): beyond it, the runtimes' own
  // Headers (Bun, Deno) take quadratic time in distinct names, which the cap bounds.
  maxHeaderCount: 2000,
};

function pushAll(limits: Partial<Limits> | undefined, chunkSize: number): (input: unknown) => void {
  return (input) => {
    const bytes = input as Uint8Array;
    const parser = new Http1RequestParser(limits);
    try {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        if (parser.push(bytes.subarray(offset, offset + chunkSize)) !== null) return;
      }
      parser.end();
    } catch (error) {
      if (!(error instanceof HandshakeError)) throw error;
    }
  };
}

function requestWithField(name: string, value: string): Uint8Array {
  return latin1(`GET / HTTP/1.1\r\nHost: example.com\r\n${name}: ${value}\r\n\r\n`);
}

/** The linear-time cases of one group (or all of them). */
export function linearCases(group?: LinearCase["group"]): LinearCase[] {
  return allCases().filter((c) => group === undefined || c.group === group);
}

function allCases(): LinearCase[] {
  const cases: LinearCase[] = [];
  const add = (
    name: string,
    shape: Shape,
    prepare: (value: string) => unknown,
    run: (input: unknown) => void,
  ): void => {
    const group = name.startsWith("parse")
      ? "header-lists"
      : name.startsWith("validate")
      ? "upgrade-request"
      : "http1";
    cases.push({
      group,
      name,
      shape: shape.name,
      prepare: (size) => prepare(shape.make(size)),
      run,
    });
  };
  const identity = (value: string): string => value;
  for (const shape of LIST_SHAPES) {
    add("parseTokenList", shape, identity, expectSyntaxError(parseTokenList));
  }
  for (const shape of [...LIST_SHAPES, ...EXTENSION_SHAPES]) {
    add("parseExtensionList", shape, identity, expectSyntaxError(parseExtensionList));
  }
  const validate = (headers: unknown): void =>
    expectHandshakeError(() =>
      validateUpgradeRequest({ method: "GET", headers: headers as Headers })
    );
  for (const shape of LIST_SHAPES) {
    add(
      "validateUpgradeRequest (Sec-WebSocket-Protocol)",
      shape,
      (value) => upgradeHeaders("Sec-WebSocket-Protocol", value),
      validate,
    );
  }
  for (const shape of EXTENSION_SHAPES) {
    add(
      "validateUpgradeRequest (Sec-WebSocket-Extensions)",
      shape,
      (value) => upgradeHeaders("Sec-WebSocket-Extensions", value),
      validate,
    );
  }
  for (const field of ["Connection", "Upgrade"]) {
    for (const shape of [LIST_SHAPES[0]!, LIST_SHAPES[5]!]) {
      add(
        `validateUpgradeRequest (${field})`,
        shape,
        (value) => upgradeHeaders(field, value),
        validate,
      );
    }
  }
  // The head parser: each shape as one field value, parsed whole under limits that let all of it
  // in; a few shapes also one byte per push (re-parsing at every chunk was tungstenite's
  // CVE-2023-43669) and under the default limits, which refuse it at 8 KiB.
  const inField = (value: string): Uint8Array =>
    requestWithField("Sec-WebSocket-Extensions", value);
  const manyLines: Shape = {
    name: "many short header lines",
    make: (n) => repeatTo("a: b\r\n", n, "", "x: y"),
  };
  // Distinct names: the parser hands its fields to the runtime's Headers, one append each.
  const manyNames: Shape = {
    name: "many header lines with distinct names",
    make: (n) => {
      let text = "";
      for (let i = 0; text.length < n - 12; i++) text += `h${i.toString(36)}: b\r\n`;
      return `${text}x: y`;
    },
  };
  for (const shape of [...LIST_SHAPES, ...EXTENSION_SHAPES, manyLines, manyNames]) {
    add(
      "Http1RequestParser (limits raised to 1 MiB, whole)",
      shape,
      inField,
      pushAll(ROOMY, Infinity),
    );
  }
  for (const shape of [LIST_SHAPES[0]!, LIST_SHAPES[5]!, EXTENSION_SHAPES[0]!]) {
    add(
      "Http1RequestParser (limits raised to 1 MiB, 1-byte pushes)",
      shape,
      inField,
      pushAll(ROOMY, 1),
    );
    add(
      "Http1RequestParser (default limits, 1 KiB pushes)",
      shape,
      inField,
      pushAll(undefined, 1024),
    );
  }
  return cases;
}

/** The outcome of one case: best-of-3 times in milliseconds for the same number of calls. */
export interface GrowthMeasurement {
  readonly smallMs: number;
  readonly largeMs: number;
  readonly ratio: number;
  readonly iterations: number;
}

function timeCalls(run: (input: unknown) => void, input: unknown, iterations: number): number {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) run(input);
  return performance.now() - start;
}

/**
 * Times `LARGE_BYTES` of input against `SMALL_BYTES` of the same shape, and keeps the best of
 * `rounds` (at least 3) timings of each, taken in turn so both sizes see the same machine load.
 *
 * A timing is one call, or a batch of calls when one small call is too quick for the clock
 * (batches stay near 0.25 ms). Single calls matter for inputs that make the parser allocate
 * (`"a,"` repeated is 32 Ki tokens): a batch of large calls would include garbage collections
 * whose cost grows with what is alive, which is the collector's behavior, not the parser's;
 * the best single call is one without a collection.
 */
export function measureGrowth(linearCase: LinearCase, rounds = 15): GrowthMeasurement {
  const small = linearCase.prepare(SMALL_BYTES);
  const large = linearCase.prepare(LARGE_BYTES);
  // Warm up (the optimizing compiler), and let a wrong input fail before timing.
  for (let i = 0; i < 3; i++) {
    linearCase.run(small);
    linearCase.run(large);
  }
  const probes = [1, 2, 3, 4, 5].map(() => timeCalls(linearCase.run, small, 1)).sort((x, y) =>
    x - y
  );
  const iterations = Math.max(1, Math.min(1 << 14, Math.ceil(0.25 / Math.max(probes[2]!, 1e-4))));
  let smallMs = Infinity;
  let largeMs = Infinity;
  // At least 3 rounds; more while they take under half a second (a slow case stops early).
  const started = performance.now();
  for (let round = 0; round < Math.max(3, rounds); round++) {
    if (round >= 3 && performance.now() - started > 500) break;
    smallMs = Math.min(smallMs, timeCalls(linearCase.run, small, iterations));
    largeMs = Math.min(largeMs, timeCalls(linearCase.run, large, iterations));
  }
  return { smallMs, largeMs, ratio: largeMs / Math.max(smallMs, 1e-6), iterations };
}

/**
 * Measures a case, and measures it again (at most `attempts` times in all) while its ratio is
 * over the limit but not far over it: a super-linear parser is over it every time (a quadratic
 * one about four times over), a load spike on a shared machine is not.
 */
export function measureLinearCase(linearCase: LinearCase, attempts = 3): GrowthMeasurement {
  let measurement = measureGrowth(linearCase);
  const unclear = (m: GrowthMeasurement): boolean =>
    m.ratio >= MAX_RATIO && m.ratio < 3 * MAX_RATIO;
  for (let attempt = 1; attempt < attempts && unclear(measurement); attempt++) {
    measurement = measureGrowth(linearCase);
  }
  return measurement;
}

/** A failure message for a case whose ratio is too high, or `undefined`. */
export function growthProblem(linearCase: LinearCase, m: GrowthMeasurement): string | undefined {
  if (m.ratio < MAX_RATIO) return undefined;
  return `${linearCase.name} on ${linearCase.shape}: ${LARGE_BYTES / 1024} KiB took ` +
    `${m.largeMs.toFixed(2)} ms, ${SMALL_BYTES / 1024} KiB ${m.smallMs.toFixed(2)} ms ` +
    `(${m.iterations} calls each): ratio ${m.ratio.toFixed(1)}, limit ${MAX_RATIO}`;
}
