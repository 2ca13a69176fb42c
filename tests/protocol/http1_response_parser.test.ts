import { MAX_HEADER_COUNT } from "../../src/protocol/limits.ts";
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import {
  type Http1Response,
  Http1ResponseParser,
} from "../../src/protocol/http1_response_parser.ts";
import type { Limits } from "../../src/protocol/limits.ts";

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

interface Outcome {
  version: string;
  status: number;
  statusText: string;
  headers: [string, string][];
  rawHeaders: [string, string][];
  rest: number[];
}

function feed(chunks: Uint8Array[], limits?: Partial<Limits>): Outcome {
  const parser = new Http1ResponseParser(limits);
  let response: Http1Response | null = null;
  const after: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (response !== null) after.push(chunk);
    else response = parser.push(chunk);
  }
  if (response === null) parser.end();
  const done = response!;
  return {
    version: done.version,
    status: done.status,
    statusText: done.statusText,
    headers: [...done.headers],
    rawHeaders: done.rawHeaders,
    rest: [...concat(done.rest, ...after)],
  };
}

function chunkings(input: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [[input]];
  for (let i = 0; i <= input.length; i++) ways.push([input.subarray(0, i), input.subarray(i)]);
  ways.push(Array.from(input, (_, i) => input.subarray(i, i + 1)));
  return ways;
}

function parseEveryWay(input: Uint8Array, limits?: Partial<Limits>): Outcome {
  const expected = feed([input], limits);
  for (const chunks of chunkings(input)) expect(feed(chunks, limits)).toEqual(expected);
  return expected;
}

function refusalEveryWay(input: Uint8Array, limits?: Partial<Limits>): HandshakeError {
  let first: HandshakeError | undefined;
  for (const chunks of chunkings(input)) {
    let error: unknown;
    try {
      feed(chunks, limits);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HandshakeError);
    first ??= error as HandshakeError;
    expect((error as HandshakeError).message).toBe(first.message);
    // A client reports 0: no valid response was read.
    expect((error as HandshakeError).status).toBe(0);
  }
  return first!;
}

// rfc6455#section-1.2: the handshake from the server
const RFC_RESPONSE = "HTTP/1.1 101 Switching Protocols\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
  "Sec-WebSocket-Protocol: chat\r\n" +
  "\r\n";

describe("Http1ResponseParser", () => {
  it("rfc6455#section-1.2 parses the RFC's server handshake in every chunking", () => {
    const outcome = parseEveryWay(encoder.encode(RFC_RESPONSE));
    expect(outcome.version).toBe("HTTP/1.1");
    expect(outcome.status).toBe(101);
    expect(outcome.statusText).toBe("Switching Protocols");
    expect(outcome.rawHeaders).toEqual([
      ["Upgrade", "websocket"],
      ["Connection", "Upgrade"],
      ["Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
      ["Sec-WebSocket-Protocol", "chat"],
    ]);
    expect(new Headers(outcome.headers).get("sec-websocket-accept")).toBe(
      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    );
    expect(outcome.rest).toEqual([]);
  });

  it("keeps the server's first frames after the head in every chunking", () => {
    // An unmasked text frame "Hello" and a ping (rfc6455#section-5.7).
    const frames = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x89, 0x00];
    const input = concat(encoder.encode(RFC_RESPONSE), new Uint8Array(frames));
    expect(parseEveryWay(input).rest).toEqual(frames);
  });

  it("rfc7230#section-3.1.2 reads refusals with their status, reason and headers", () => {
    const outcome = parseEveryWay(encoder.encode(
      "HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
    ));
    expect([outcome.status, outcome.statusText]).toEqual([426, "Upgrade Required"]);
    expect(new Headers(outcome.headers).get("sec-websocket-version")).toBe("13");
  });

  it("rfc7230#section-3.1.2 accepts an empty reason phrase with or without its space", () => {
    expect(parseEveryWay(encoder.encode("HTTP/1.1 101 \r\n\r\n")).statusText).toBe("");
    expect(parseEveryWay(encoder.encode("HTTP/1.1 101\r\n\r\n")).status).toBe(101);
    expect(parseEveryWay(bytes("HTTP/1.0 404 Nicht gefunden \xfc\r\n\r\n")).statusText).toBe(
      "Nicht gefunden \xfc",
    );
  });

  it("rfc7230#section-3.2.2 combines several lines of one field", () => {
    const outcome = parseEveryWay(encoder.encode(
      "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Extensions: a\r\n" +
        "Sec-WebSocket-Extensions: b; x=1\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n",
    ));
    const headers = new Headers(outcome.rawHeaders);
    expect(headers.get("sec-websocket-extensions")).toBe("a, b; x=1");
    expect(headers.getSetCookie()).toEqual(["a=1", "b=2"]);
  });

  describe("malformed heads are HandshakeErrors with status 0", () => {
    const cases: [string, string, RegExp][] = [
      ["a missing version", "101 Switching Protocols\r\n\r\n", /HTTP version/],
      ["a lower-case version", "http/1.1 101 OK\r\n\r\n", /HTTP version/],
      ["a two-digit status", "HTTP/1.1 10 OK\r\n\r\n", /three digits/],
      ["a four-digit status", "HTTP/1.1 1010 OK\r\n\r\n", /three digits/],
      ["a status below 100", "HTTP/1.1 099 OK\r\n\r\n", /outside 100-599/],
      ["a status above 599", "HTTP/1.1 600 OK\r\n\r\n", /outside 100-599/],
      ["a letter in the status", "HTTP/1.1 1O1 OK\r\n\r\n", /three digits/],
      ["two spaces after the version", "HTTP/1.1  101 OK\r\n\r\n", /three digits/],
      ["a control byte in the reason", "HTTP/1.1 101 O\x01K\r\n\r\n", /control byte/],
      ["HTTP/2", "HTTP/2.0 101 OK\r\n\r\n", /only HTTP\/1\.x/],
      ["obs-fold", "HTTP/1.1 101 OK\r\nA: b\r\n c\r\n\r\n", /obs-fold/],
      ["space before colon", "HTTP/1.1 101 OK\r\nUpgrade : websocket\r\n\r\n", /colon/],
      ["a bare LF", "HTTP/1.1 101 OK\nUpgrade: websocket\r\n\r\n", /bare LF/],
      ["a bare CR", "HTTP/1.1 101 OK\r\nUpgrade: web\rsocket\r\n\r\n", /bare CR/],
      ["a NUL in a value", "HTTP/1.1 101 OK\r\nA: \x00\r\n\r\n", /control byte/],
    ];
    for (const [name, input, message] of cases) {
      it(`rfc7230#section-3 refuses ${name} in every chunking`, () => {
        const error = refusalEveryWay(bytes(input));
        expect(error.message).toMatch(/^Cannot parse response: /);
        expect(error.message).toMatch(message);
      });
    }

    it("rfc7230#section-3 refuses a stream that ends before the blank line", () => {
      for (const input of ["", "HTTP/1.1 101", "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n"]) {
        expect(refusalEveryWay(encoder.encode(input)).message).toMatch(/before the end/);
      }
    });
  });

  it("rethrows the same error after a failure and refuses pushes after completion", () => {
    const parser = new Http1ResponseParser();
    expect(() => parser.push(encoder.encode("HTTP/1.1 1x1 OK\r\n"))).toThrow(HandshakeError);
    expect(() => parser.push(encoder.encode("\r\n"))).toThrow(/three digits/);
    const done = new Http1ResponseParser();
    expect(done.push(encoder.encode("HTTP/1.1 101 OK\r\n\r\n"))).not.toBe(null);
    expect(done.response?.status).toBe(101);
    expect(() => done.push(new Uint8Array([0x81]))).toThrow(TypeError);
  });
});

describe("Http1ResponseParser limits", () => {
  it("accepts a status line of maxLineBytes and refuses one more byte", () => {
    const line = (length: number): string => `HTTP/1.1 101 ${"x".repeat(length - 13)}`;
    const limits = { maxLineBytes: 40 };
    expect(line(40).length).toBe(40);
    parseEveryWay(encoder.encode(`${line(40)}\r\n\r\n`), limits);
    expect(refusalEveryWay(encoder.encode(`${line(41)}\r\n\r\n`), limits).message).toBe(
      "Cannot parse response: the status line is longer than 40 bytes (rfc7230#section-3.2.5)",
    );
  });

  it("accepts a header line of maxLineBytes and refuses one more byte", () => {
    const field = (length: number): string => `X: ${"v".repeat(length - 3)}`;
    const limits = { maxLineBytes: 40 };
    parseEveryWay(encoder.encode(`HTTP/1.1 101 OK\r\n${field(40)}\r\n\r\n`), limits);
    expect(
      refusalEveryWay(encoder.encode(`HTTP/1.1 101 OK\r\n${field(41)}\r\n\r\n`), limits).message,
    ).toMatch(/a header field line is longer than 40 bytes/);
  });

  it("accepts maxHeaderCount fields and refuses one more", () => {
    const head = (count: number): string => `HTTP/1.1 101 OK\r\n${"A: b\r\n".repeat(count)}\r\n`;
    expect(parseEveryWay(encoder.encode(head(3)), { maxHeaderCount: 3 }).rawHeaders.length)
      .toBe(3);
    expect(refusalEveryWay(encoder.encode(head(4)), { maxHeaderCount: 3 }).message).toMatch(
      /more than 3 header fields/,
    );
  });

  it("accepts a head of maxHeaderBytes and refuses one more byte", () => {
    const head = (length: number): string => {
      const start = "HTTP/1.1 101 OK\r\nX: ";
      return `${start}${"v".repeat(length - start.length - 4)}\r\n\r\n`;
    };
    expect(head(64).length).toBe(64);
    parseEveryWay(encoder.encode(head(64)), { maxHeaderBytes: 64 });
    expect(refusalEveryWay(encoder.encode(head(65)), { maxHeaderBytes: 64 }).message).toMatch(
      /head is longer than 64 bytes/,
    );
  });

  it("parses the most header fields allowed, 1 MiB in all, pushed one byte at a time", () => {
    const field = `A: ${"b".repeat(500)}\r\n`;
    const input = encoder.encode(`HTTP/1.1 101 OK\r\n${field.repeat(MAX_HEADER_COUNT)}\r\n`);
    const parser = new Http1ResponseParser({
      maxHeaderBytes: 2 * 1024 * 1024,
      maxHeaderCount: MAX_HEADER_COUNT,
    });
    let response: Http1Response | null = null;
    for (let i = 0; i < input.length && response === null; i++) {
      response = parser.push(input.subarray(i, i + 1));
    }
    expect(response?.rawHeaders.length).toBe(MAX_HEADER_COUNT);
  });
});
