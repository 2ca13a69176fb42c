// A parsed head's fields, looked up by name as Headers.get would, with the Headers made only
// when read (rfc7230#section-3.2).
import { describe, expect, it } from "vitest";
import { HeaderFields } from "../../src/protocol/header_fields.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import {
  Http1RequestParser,
  ParsedRequest,
  requestField,
} from "../../src/protocol/http1_request_parser.ts";

const encoder = new TextEncoder();

describe("HeaderFields", () => {
  const lines: [string, string][] = [
    ["Host", "example.com"],
    ["X-Multi", "a"],
    ["Sec-WebSocket-Protocol", "chat"],
    ["x-multi", "b"],
    ["Empty", ""],
  ];

  it("rfc7230#section-3.2.2 gets a field as Headers.get does: any case, lines joined", () => {
    const fields = new HeaderFields(lines, "request", 400);
    const headers = new Headers();
    for (const [name, value] of lines) headers.append(name, value);
    for (const name of ["host", "x-multi", "sec-websocket-protocol", "empty", "origin", "hos"]) {
      expect(fields.get(name)).toBe(headers.get(name));
    }
  });

  it("counts the lines of a name", () => {
    const fields = new HeaderFields(lines, "request", 400);
    expect(fields.count("x-multi")).toBe(2);
    expect(fields.count("host")).toBe(1);
    expect(fields.count("origin")).toBe(0);
  });

  it("makes its Headers once, when first read", () => {
    const fields = new HeaderFields(lines, "request", 400);
    const headers = fields.headers;
    expect(headers.get("x-multi")).toBe("a, b");
    expect(fields.headers).toBe(headers);
  });

  it("reports a field Headers refuses as the head's error, with its status", () => {
    const fields = new HeaderFields([["Bad", "a\u0000b"]], "response", 0);
    let error: unknown;
    try {
      void fields.headers;
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HandshakeError);
    expect((error as HandshakeError).status).toBe(0);
  });
});

describe("ParsedRequest", () => {
  const parse = (): ParsedRequest =>
    new Http1RequestParser().push(
      encoder.encode("GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\r\n"),
    ) as ParsedRequest;

  it("is what the parser returns, its headers made when read", () => {
    const request = parse();
    expect(request).toBeInstanceOf(ParsedRequest);
    expect(requestField(request, "upgrade")).toBe("websocket");
    expect(request.headers.get("host")).toBe("example.com");
    expect(request.headers).toBe(request.headers);
    expect(request.rawHeaders).toEqual([["Host", "example.com"], ["Upgrade", "websocket"]]);
  });

  it("keeps the field lines as they arrived when the head came whole, and only then", () => {
    const whole = new Http1RequestParser().push(
      encoder.encode("GET / HTTP/1.1\r\nHost: a\r\nX-Pad:  b \r\n\r\nrest"),
    ) as ParsedRequest;
    expect(whole.fieldBlock).toBe("Host: a\r\nX-Pad:  b \r\n");
    expect(whole.rawHeaders).toEqual([["Host", "a"], ["X-Pad", "b"]]);
    // rfc7230#section-3.5: empty lines before the request line are skipped.
    const afterEmpty = new Http1RequestParser().push(
      encoder.encode("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
    ) as ParsedRequest;
    expect(afterEmpty.fieldBlock).toBe("Host: a\r\n");
    const none = new Http1RequestParser().push(
      encoder.encode("GET / HTTP/1.1\r\n\r\n"),
    ) as ParsedRequest;
    expect(none.fieldBlock).toBe("");
    for (const at of [5, 20, 25, 30, 33]) {
      const bytes = encoder.encode("GET / HTTP/1.1\r\nHost: a\r\nX-Pad:  b \r\n\r\n");
      const parser = new Http1RequestParser();
      expect(parser.push(bytes.subarray(0, at))).toBeNull();
      const split = parser.push(bytes.subarray(at)) as ParsedRequest;
      expect(split.fieldBlock).toBeUndefined();
      expect(split.rawHeaders).toEqual([["Host", "a"], ["X-Pad", "b"]]);
    }
  });

  it("gives no field lines as they arrived once headers or rawHeaders are replaced", () => {
    const replaced = parse();
    expect(replaced.fieldBlock).toBe("Host: example.com\r\nUpgrade: websocket\r\n");
    replaced.headers = new Headers({ host: "other.example" });
    expect(replaced.fieldBlock).toBeUndefined();
    const lines = parse();
    lines.rawHeaders = [["Host", "other.example"]];
    expect(lines.fieldBlock).toBeUndefined();
  });

  it("reads its fields from headers once they are replaced, as before", () => {
    const request = parse();
    request.headers = new Headers({ host: "other.example" });
    expect(requestField(request, "host")).toBe("other.example");
    expect(requestField(request, "upgrade")).toBeNull();
  });

  it("requestField reads any other request's headers", () => {
    const request = new Request("http://example.com/", { headers: { "x-a": "1" } });
    expect(requestField(request, "x-a")).toBe("1");
  });
});
