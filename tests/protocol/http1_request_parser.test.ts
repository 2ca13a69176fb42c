import { MAX_HEADER_COUNT } from "../../src/protocol/limits.ts";
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { type Http1Request, Http1RequestParser } from "../../src/protocol/http1_request_parser.ts";
import type { Limits } from "../../src/protocol/limits.ts";

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  // One byte per character, so tests can write obs-text such as "\xe9".
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

/** What a parse produced, in a form `toEqual` compares across runtimes. */
interface Outcome {
  method: string;
  target: string;
  version: string;
  headers: [string, string][];
  rawHeaders: [string, string][];
  /** `rest` plus every byte pushed after the request completed, as a caller would see it. */
  rest: number[];
}

/** Feeds `chunks` the way a server does: stop parsing at completion, keep what follows. */
function feed(chunks: Uint8Array[], limits?: Partial<Limits>): Outcome {
  const parser = new Http1RequestParser(limits);
  let request: Http1Request | null = null;
  const after: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (request !== null) after.push(chunk);
    else request = parser.push(chunk);
  }
  if (request === null) parser.end();
  const done = request!;
  return {
    method: done.method,
    target: done.target,
    version: done.version,
    headers: [...done.headers],
    rawHeaders: done.rawHeaders,
    rest: [...concat(done.rest, ...after)],
  };
}

/** Every way to split `input` in two, and one byte at a time. */
function chunkings(input: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [[input]];
  for (let i = 0; i <= input.length; i++) ways.push([input.subarray(0, i), input.subarray(i)]);
  ways.push(Array.from(input, (_, i) => input.subarray(i, i + 1)));
  return ways;
}

/** Parses `input` in every chunking and checks they all agree; returns the outcome. */
function parseEveryWay(input: Uint8Array, limits?: Partial<Limits>): Outcome {
  const expected = feed([input], limits);
  for (const chunks of chunkings(input)) expect(feed(chunks, limits)).toEqual(expected);
  return expected;
}

/** Parses `input` in every chunking; each must throw a HandshakeError with the same status. */
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
    expect((error as HandshakeError).status).toBe(first.status);
    expect((error as HandshakeError).message).toBe(first.message);
  }
  return first!;
}

// rfc6455#section-1.2: the handshake from the client
const RFC_REQUEST = "GET /chat HTTP/1.1\r\n" +
  "Host: server.example.com\r\n" +
  "Upgrade: websocket\r\n" +
  "Connection: Upgrade\r\n" +
  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
  "Origin: http://example.com\r\n" +
  "Sec-WebSocket-Protocol: chat, superchat\r\n" +
  "Sec-WebSocket-Version: 13\r\n" +
  "\r\n";

describe("Http1RequestParser", () => {
  it("rfc6455#section-1.2 parses the RFC's client handshake in every chunking", () => {
    const outcome = parseEveryWay(encoder.encode(RFC_REQUEST));
    expect(outcome.method).toBe("GET");
    expect(outcome.target).toBe("/chat");
    expect(outcome.version).toBe("HTTP/1.1");
    expect(outcome.rawHeaders).toEqual([
      ["Host", "server.example.com"],
      ["Upgrade", "websocket"],
      ["Connection", "Upgrade"],
      ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ["Origin", "http://example.com"],
      ["Sec-WebSocket-Protocol", "chat, superchat"],
      ["Sec-WebSocket-Version", "13"],
    ]);
    expect(new Headers(outcome.headers).get("sec-websocket-key")).toBe("dGhlIHNhbXBsZSBub25jZQ==");
    expect(outcome.rest).toEqual([]);
  });

  it("keeps the bytes after the head in every chunking", () => {
    // A masked text frame "Hello" (rfc6455#section-5.7) sent right behind the handshake.
    const frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    const input = concat(encoder.encode(RFC_REQUEST), new Uint8Array(frame));
    expect(parseEveryWay(input).rest).toEqual(frame);
  });

  it("returns rest as a copy the caller's buffer reuse cannot change", () => {
    const input = concat(encoder.encode("GET / HTTP/1.1\r\n\r\n"), new Uint8Array([1, 2, 3]));
    const request = new Http1RequestParser().push(input)!;
    input.fill(0);
    expect([...request.rest]).toEqual([1, 2, 3]);
  });

  it("returns null until the blank line and exposes the request afterwards", () => {
    const parser = new Http1RequestParser();
    expect(parser.push(encoder.encode("GET / HTTP/1.1\r\nHost: a\r\n"))).toBe(null);
    expect(parser.request).toBe(null);
    expect(parser.push(encoder.encode("\r"))).toBe(null);
    const request = parser.push(encoder.encode("\n"));
    expect(request?.target).toBe("/");
    expect(parser.request).toBe(request);
    parser.end();
  });

  it("rfc7230#section-3.2.2 combines several lines of one field in Headers and keeps each in rawHeaders", () => {
    const outcome = parseEveryWay(encoder.encode(
      "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: keep-alive\r\nconnection: Upgrade\r\n\r\n",
    ));
    expect(new Headers(outcome.headers).get("connection")).toBe("keep-alive, Upgrade");
    expect(outcome.rawHeaders).toEqual([
      ["Upgrade", "websocket"],
      ["Connection", "keep-alive"],
      ["connection", "Upgrade"],
    ]);
  });

  it("rfc7230#section-3.2.4 trims whitespace around field values and allows none at all", () => {
    const outcome = parseEveryWay(encoder.encode(
      "GET / HTTP/1.1\r\nA: \t x y \t \r\nB:z\r\nC:\r\nD: \r\n\r\n",
    ));
    expect(outcome.rawHeaders).toEqual([["A", "x y"], ["B", "z"], ["C", ""], ["D", ""]]);
  });

  it("rfc7230#section-3.2 keeps obs-text bytes as ISO-8859-1 characters", () => {
    const outcome = parseEveryWay(bytes("GET / HTTP/1.1\r\nX-Name: caf\xe9 \x80\x9f\xff\r\n\r\n"));
    expect(outcome.rawHeaders).toEqual([["X-Name", "caf\xe9 \x80\x9f\xff"]]);
    expect(new Headers(outcome.headers).get("x-name")).toBe("caf\xe9 \x80\x9f\xff");
  });

  it("rfc7230#section-3.2 decodes bytes that are valid UTF-8 one byte per character too", () => {
    // "é" and "€" as UTF-8, a byte order mark, and the bytes of U+FFFD: each byte one character.
    const value = "\xc3\xa9 \xe2\x82\xac \xef\xbb\xbf \xef\xbf\xbd";
    const outcome = parseEveryWay(bytes(`GET / HTTP/1.1\r\nX-Name: ${value}\r\n\r\n`));
    expect(outcome.rawHeaders).toEqual([["X-Name", value]]);
  });

  it("rfc7230#section-3.5 skips empty lines before the request line", () => {
    const outcome = parseEveryWay(encoder.encode("\r\n\r\nGET / HTTP/1.1\r\n\r\n"));
    expect(outcome.method).toBe("GET");
  });

  it("accepts HTTP/1.0 and other methods, leaving the decision to the handshake", () => {
    const outcome = parseEveryWay(encoder.encode("POST http://a/b?c=d HTTP/1.0\r\n\r\n"));
    expect([outcome.method, outcome.target, outcome.version]).toEqual([
      "POST",
      "http://a/b?c=d",
      "HTTP/1.0",
    ]);
  });

  describe("malformed heads get 400", () => {
    const cases: [string, string, RegExp][] = [
      ["obs-fold", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", /obs-fold.*rfc7230#section-3\.2\.4/],
      ["tab obs-fold", "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", /obs-fold/],
      ["obs-fold on the first field", "GET / HTTP/1.1\r\n A: b\r\n\r\n", /obs-fold/],
      ["space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", /rfc7230#section-3\.2\.4/],
      ["tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", /rfc7230#section-3\.2\.4/],
      ["separator in name", "GET / HTTP/1.1\r\nA(b): c\r\n\r\n", /0x28 in a field name/],
      ["non-ASCII in name", "GET / HTTP/1.1\r\nA\xe9: c\r\n\r\n", /0xe9 in a field name/],
      ["empty name", "GET / HTTP/1.1\r\n: c\r\n\r\n", /empty name/],
      ["no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", /no colon/],
      ["NUL in value", "GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n", /control byte 0x00/],
      ["DEL in value", "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n", /control byte 0x7f/],
      ["bare CR in value", "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", /bare CR/],
      ["bare CR in request line", "GET /\r HTTP/1.1\r\n\r\n", /bare CR/],
      ["bare LF after request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", /bare LF/],
      ["bare LF after a field", "GET / HTTP/1.1\r\nHost: a\n\r\n", /bare LF/],
      ["bare LF as the blank line", "GET / HTTP/1.1\r\nHost: a\r\n\n", /bare LF/],
      ["bare LF before the request", "\nGET / HTTP/1.1\r\n\r\n", /bare LF/],
      ["two spaces", "GET  / HTTP/1.1\r\n\r\n", /request-target/],
      ["trailing space", "GET / HTTP/1.1 \r\n\r\n", /not an HTTP version/],
      ["missing version", "GET /\r\n\r\n", /three parts/],
      ["only a method", "GET\r\n\r\n", /three parts/],
      ["lower-case version", "GET / http/1.1\r\n\r\n", /not an HTTP version/],
      ["two-digit version", "GET / HTTP/1.10\r\n\r\n", /not an HTTP version/],
      ["separator in method", "GE(T / HTTP/1.1\r\n\r\n", /method is not a token/],
      ["tab separator", "GET\t/ HTTP/1.1\r\n\r\n", /three parts/],
      ["control byte in target", "GET /\x01 HTTP/1.1\r\n\r\n", /request-target/],
      ["non-ASCII in target", "GET /caf\xe9 HTTP/1.1\r\n\r\n", /request-target/],
    ];
    for (const [name, input, message] of cases) {
      it(`rfc7230#section-3 refuses ${name} with 400 in every chunking`, () => {
        const error = refusalEveryWay(bytes(input));
        expect(error.status).toBe(400);
        expect(error.message).toMatch(/^Cannot parse request: /);
        expect(error.message).toMatch(message);
        expect(error.message).toMatch(/\(rfc7230#section-[\d.]+\)$/);
      });
    }
  });

  it("rfc7230#section-2.6 refuses a major version other than 1 with 505", () => {
    for (const version of ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0"]) {
      const error = refusalEveryWay(encoder.encode(`GET / ${version}\r\n\r\n`));
      expect(error.status).toBe(505);
    }
    // The HTTP/2 connection preface fails at its first line.
    const preface = refusalEveryWay(encoder.encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
    expect(preface.status).toBe(505);
  });

  it("fails a malformed request line before reading the fields that follow", () => {
    const input = encoder.encode(`GET  / HTTP/1.1\r\n${"A: b\r\n".repeat(50)}\r\n`);
    const error = refusalEveryWay(input, { maxHeaderCount: 10 });
    expect(error.status).toBe(400);
  });

  it("rfc7230#section-3 refuses a stream that ends before the blank line with 400", () => {
    for (const input of ["", "GET", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r"]) {
      const error = refusalEveryWay(encoder.encode(input));
      expect(error.status).toBe(400);
      expect(error.message).toMatch(/before the end of the head/);
    }
  });

  it("rethrows the same error after a failure and refuses pushes after completion", () => {
    const parser = new Http1RequestParser();
    let first: unknown;
    try {
      parser.push(encoder.encode("GET / HTTP/1.1\r\nA : b\r\n"));
    } catch (error) {
      first = error;
    }
    expect(first).toBeInstanceOf(HandshakeError);
    expect(() => parser.push(encoder.encode("\r\n"))).toThrow(first as Error);
    expect(() => parser.end()).toThrow(first as Error);

    const done = new Http1RequestParser();
    done.push(encoder.encode("GET / HTTP/1.1\r\n\r\n"));
    expect(() => done.push(new Uint8Array([0x81]))).toThrow(TypeError);
  });
});

describe("Http1RequestParser limits", () => {
  const line = (length: number): string => `GET /${"a".repeat(length - 14)} HTTP/1.1`;

  it("rfc7230#section-3.1.1 accepts a request line of maxLineBytes and refuses one more byte with 414", () => {
    const limits = { maxLineBytes: 64 };
    expect(line(64).length).toBe(64);
    expect(parseEveryWay(encoder.encode(`${line(64)}\r\n\r\n`), limits).method).toBe("GET");
    const error = refusalEveryWay(encoder.encode(`${line(65)}\r\n\r\n`), limits);
    expect(error.status).toBe(414);
    expect(error.message).toBe(
      "Cannot parse request: the request line is longer than 64 bytes (rfc7230#section-3.2.5)",
    );
  });

  it("refuses an overlong request line with 414 before its end arrives", () => {
    const parser = new Http1RequestParser({ maxLineBytes: 64 });
    parser.push(encoder.encode("GET /" + "a".repeat(59)));
    // 64 bytes so far, then a CR: still within the limit if an LF follows.
    parser.push(encoder.encode("\r"));
    expect(() => parser.push(encoder.encode("a"))).toThrow(HandshakeError);
    const unterminated = new Http1RequestParser({ maxLineBytes: 64 });
    let status = 0;
    try {
      unterminated.push(encoder.encode("G".repeat(10_000)));
    } catch (error) {
      status = (error as HandshakeError).status;
    }
    expect(status).toBe(414);
  });

  it("rfc7230#section-3.2.5 accepts a header line of maxLineBytes and refuses one more byte with 431", () => {
    const limits = { maxLineBytes: 64 };
    const field = (length: number): string => `X-Long: ${"v".repeat(length - 8)}`;
    expect(field(64).length).toBe(64);
    parseEveryWay(encoder.encode(`GET / HTTP/1.1\r\n${field(64)}\r\n\r\n`), limits);
    const error = refusalEveryWay(encoder.encode(`GET / HTTP/1.1\r\n${field(65)}\r\n\r\n`), limits);
    expect(error.status).toBe(431);
    expect(error.message).toMatch(/a header field line is longer than 64 bytes/);
  });

  it("counts trailing whitespace of a value towards the line limit", () => {
    const limits = { maxLineBytes: 16 };
    parseEveryWay(encoder.encode(`GET / HTTP/1.1\r\nA: b${" ".repeat(12)}\r\n\r\n`), limits);
    const error = refusalEveryWay(
      encoder.encode(`GET / HTTP/1.1\r\nA: b${" ".repeat(13)}\r\n\r\n`),
      limits,
    );
    expect(error.status).toBe(431);
  });

  it("rfc7230#section-3.2.5 accepts maxHeaderCount fields and refuses one more with 431", () => {
    const limits = { maxHeaderCount: 5 };
    const head = (count: number): string => `GET / HTTP/1.1\r\n${"A: b\r\n".repeat(count)}\r\n`;
    expect(parseEveryWay(encoder.encode(head(5)), limits).rawHeaders.length).toBe(5);
    const error = refusalEveryWay(encoder.encode(head(6)), limits);
    expect(error.status).toBe(431);
    expect(error.message).toBe(
      "Cannot parse request: more than 5 header fields (rfc7230#section-3.2.5)",
    );
  });

  it("rfc7230#section-3.2.5 accepts a head of maxHeaderBytes and refuses one more byte with 431", () => {
    const head = (length: number): string => {
      const start = "GET / HTTP/1.1\r\nX: ";
      return `${start}${"v".repeat(length - start.length - 4)}\r\n\r\n`;
    };
    const limits = { maxHeaderBytes: 100 };
    expect(head(100).length).toBe(100);
    const input = concat(encoder.encode(head(100)), new Uint8Array([0x88, 0x80]));
    expect(parseEveryWay(input, limits).rest).toEqual([0x88, 0x80]);
    const error = refusalEveryWay(encoder.encode(head(101)), limits);
    expect(error.status).toBe(431);
    expect(error.message).toBe(
      "Cannot parse request: the head is longer than 100 bytes (rfc7230#section-3.2.5)",
    );
  });

  it("counts empty lines before the request line towards maxHeaderBytes", () => {
    const error = refusalEveryWay(encoder.encode("\r\n".repeat(60)), { maxHeaderBytes: 100 });
    expect(error.status).toBe(431);
  });

  it("reports the limit a line breaks first, whatever the chunking", () => {
    // The line limit breaks at byte 66 of the line, the head limit at byte 81: 414 wins.
    const first = refusalEveryWay(encoder.encode(`${line(200)}\r\n\r\n`), {
      maxLineBytes: 64,
      maxHeaderBytes: 80,
    });
    expect(first.status).toBe(414);
    // Here the head limit breaks first, inside a header line that is within the line limit.
    const second = refusalEveryWay(
      encoder.encode(`GET / HTTP/1.1\r\nA: ${"b".repeat(100)}\r\n\r\n`),
      { maxLineBytes: 1000, maxHeaderBytes: 50 },
    );
    expect(second.status).toBe(431);
    expect(second.message).toMatch(/head is longer than 50 bytes/);
  });

  it("takes the default limits from DEFAULT_LIMITS", () => {
    const statusOf = (input: string): number => {
      try {
        new Http1RequestParser().push(encoder.encode(input));
      } catch (error) {
        return (error as HandshakeError).status;
      }
      return 0;
    };
    expect(statusOf(`${line(8192)}\r\n\r\n`)).toBe(0);
    expect(statusOf(`${line(8193)}\r\n\r\n`)).toBe(414);
    expect(statusOf(`GET / HTTP/1.1\r\n${"A: b\r\n".repeat(100)}\r\n`)).toBe(0);
    expect(statusOf(`GET / HTTP/1.1\r\n${"A: b\r\n".repeat(101)}\r\n`)).toBe(431);
    const fields = `X: ${"v".repeat(8000)}\r\n`.repeat(3);
    expect(statusOf(`GET / HTTP/1.1\r\n${fields}\r\n`)).toBe(431);
  });
});

describe("Http1RequestParser work is linear in the input", () => {
  // Rescanning from the start on each chunk (tungstenite CVE-2023-43669) is quadratic: ~10^12
  // steps here, far beyond the suite's timeout. A linear parser takes well under a second.
  const huge: Partial<Limits> = {
    maxLineBytes: 4 * 1024 * 1024,
    maxHeaderBytes: 8 * 1024 * 1024,
    maxHeaderCount: MAX_HEADER_COUNT,
  };

  it("parses a 1 MiB header line pushed 3 bytes at a time", () => {
    const value = "v".repeat(1024 * 1024);
    const input = encoder.encode(`GET / HTTP/1.1\r\nX: ${value}\r\n\r\n`);
    const parser = new Http1RequestParser(huge);
    let request: Http1Request | null = null;
    for (let i = 0; i < input.length && request === null; i += 3) {
      request = parser.push(input.subarray(i, i + 3));
    }
    expect(request?.headers.get("x")?.length).toBe(value.length);
  });

  it("parses the most header fields allowed, 1 MiB in all, pushed one byte at a time", () => {
    const field = `A: ${"b".repeat(500)}\r\n`;
    const input = encoder.encode(`GET / HTTP/1.1\r\n${field.repeat(MAX_HEADER_COUNT)}\r\n`);
    const parser = new Http1RequestParser(huge);
    let request: Http1Request | null = null;
    for (let i = 0; i < input.length && request === null; i++) {
      request = parser.push(input.subarray(i, i + 1));
    }
    expect(request?.rawHeaders.length).toBe(MAX_HEADER_COUNT);
  });

  it("refuses a 1 MiB line without an LF as soon as it passes the limit", () => {
    const parser = new Http1RequestParser();
    const chunk = encoder.encode("a".repeat(1024));
    let pushed = 0;
    try {
      for (; pushed < 1024; pushed++) parser.push(chunk);
    } catch (error) {
      expect((error as HandshakeError).status).toBe(414);
    }
    expect(pushed).toBe(8); // 8 KiB is the default maxLineBytes
  });
});
