// The line layer both HTTP/1.x head parsers share, driven directly: the statuses it is given,
// the start-line callback, and parseHttpVersion. Its limits and syntax rules are tested through
// both parsers in http1_request_parser.test.ts and http1_response_parser.test.ts.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import {
  Http1HeadReader,
  type Http1HeadStatuses,
  parseHttpVersion,
} from "../../src/protocol/http1_head_reader.ts";
import { thrown } from "../_helpers/thrown.ts";

const encoder = new TextEncoder();
const STATUSES: Http1HeadStatuses = {
  startLineTooLong: 1,
  fieldLineTooLong: 2,
  headTooLarge: 3,
  malformed: 4,
};

function reader(onStartLine: (line: string) => void = () => {}): Http1HeadReader {
  return new Http1HeadReader({
    kind: "request",
    statuses: STATUSES,
    limits: { maxLineBytes: 16, maxHeaderBytes: 64, maxHeaderCount: 2 },
    onStartLine,
  });
}

function statusOf(bytes: string): number {
  const error = thrown(() => reader().push(encoder.encode(bytes)));
  expect(error).toBeInstanceOf(HandshakeError);
  return (error as HandshakeError).status;
}

describe("Http1HeadReader", () => {
  it("splits a head into start line, fields and the bytes after it", () => {
    const head = reader().push(encoder.encode("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\r\nxy"))!;
    expect(head.startLine).toBe("GET / HTTP/1.1");
    expect(head.fields).toEqual([["Host", "a"], ["X", "b"]]);
    expect(head.headers.get("x")).toBe("b");
    expect([...head.rest]).toEqual([0x78, 0x79]);
    expect(head.headBytes).toBe(33);
  });

  it("rfc7230#section-3.5 hands the start line over as soon as it ends, after empty lines", () => {
    const lines: string[] = [];
    const head = reader((line) => lines.push(line));
    expect(head.push(encoder.encode("\r\nGET / HTTP/1.1\r\n"))).toBeNull();
    expect(lines).toEqual(["GET / HTTP/1.1"]);
  });

  it("fails with the status it was given for each kind of failure (rfc7230#section-3.2.5)", () => {
    expect(statusOf(`${"a".repeat(17)}\r\n`)).toBe(STATUSES.startLineTooLong);
    expect(statusOf(`GET / HTTP/1.1\r\n${"a".repeat(18)}`)).toBe(STATUSES.fieldLineTooLong);
    expect(statusOf("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n")).toBe(STATUSES.headTooLarge);
    expect(statusOf("GET / HTTP/1.1\n")).toBe(STATUSES.malformed);
  });

  it("fails with what the start-line callback throws, and keeps failing", () => {
    const refusal = new HandshakeError("no", 505);
    const head = reader(() => {
      throw refusal;
    });
    expect(thrown(() => head.push(encoder.encode("HTTP/9.9 x\r\n")))).toBe(refusal);
    expect(thrown(() => head.push(encoder.encode("\r\n")))).toBe(refusal);
    expect(thrown(() => head.end())).toBe(refusal);
  });

  it("rfc7230#section-3 refuses an end of stream before the blank line", () => {
    const head = reader();
    head.push(encoder.encode("GET / HTTP/1.1\r\n"));
    const error = thrown(() => head.end()) as HandshakeError;
    expect(error.status).toBe(STATUSES.malformed);
    expect(error.message).toMatch(/\(rfc7230#section-3\)$/);
  });
});

describe("parseHttpVersion", () => {
  it("rfc7230#section-2.6 reads the major digit of HTTP/x.y, case-sensitively", () => {
    expect(parseHttpVersion("HTTP/1.1")).toBe(1);
    expect(parseHttpVersion("HTTP/2.0")).toBe(2);
    for (const version of ["http/1.1", "HTTP/1", "HTTP/1.10", "HTTP/a.1", "HTTP/1,1", ""]) {
      expect(parseHttpVersion(version), version).toBe(-1);
    }
  });
});
