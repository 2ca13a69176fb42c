// Writing HTTP/1.1 heads: complete refusals (head and body) and any response head, with every
// value checked so a caller's string cannot inject header lines (rfc7230#section-3.2).
import { describe, expect, it } from "vitest";
import type { HandshakeError } from "../../src/protocol/errors.ts";
import {
  refusalResponse,
  serializeResponseHead,
} from "../../src/protocol/http1_response_writer.ts";
import { validateUpgradeRequest } from "../../src/protocol/server_handshake.ts";
import { thrown } from "../_helpers/thrown.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function text(bytes: Uint8Array): string {
  // One character per byte, to see exactly what goes on the wire.
  return String.fromCharCode(...bytes);
}

describe("refusalResponse", () => {
  it("writes a complete response with Content-Length and Connection: close", () => {
    const body = "Cannot upgrade: the request has no Host header field\n";
    expect(text(refusalResponse(400, undefined, body))).toBe(
      "HTTP/1.1 400 Bad Request\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\n" +
        `Content-Length: ${body.length}\r\n` +
        "Connection: close\r\n" +
        "\r\n" +
        body,
    );
  });

  it("defaults the body to the status and counts UTF-8 bytes in Content-Length", () => {
    expect(
      text(refusalResponse(404)).endsWith(
        "Content-Length: 14\r\n" +
          "Connection: close\r\n\r\n404 Not Found\n",
      ),
    ).toBe(true);
    const message = "Forbidden \u2014 caf\u00e9 \u{1f600}";
    const bytes = refusalResponse(403, {}, message);
    const [head, body] = decoder.decode(bytes).split("\r\n\r\n");
    expect(encoder.encode(message).length).toBe(24);
    expect(head).toContain("Content-Length: 24\r\n");
    expect(body).toBe("Forbidden \u2014 caf\u00e9 \u{1f600}");
    expect(text(refusalResponse(599))).toMatch(/^HTTP\/1\.1 599 \r\n[^]*\r\n\r\n599\n$/);
  });

  it("rfc7230#section-6.7 lists Upgrade in Connection when it sends Upgrade, as a 426 must", () => {
    const error = thrown(() =>
      validateUpgradeRequest({ method: "GET", headers: new Headers({ Host: "a" }) })
    ) as HandshakeError;
    const response = text(refusalResponse(error.status, error.headers, error.message));
    expect(response).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(response).toContain("\r\nUpgrade: websocket\r\n");
    expect(response).toContain("\r\nSec-WebSocket-Version: 13\r\n");
    expect(response).toContain("\r\nConnection: Upgrade, close\r\n");
  });

  it("keeps a Content-Type the caller sets", () => {
    const response = text(refusalResponse(401, { "Content-Type": "application/json" }, "{}"));
    expect(response).toContain("\r\nContent-Type: application/json\r\n");
    expect(response).not.toContain("text/plain");
  });

  it("refuses statuses that cannot refuse with RangeError", () => {
    for (const status of [101, 200, 204, 299, 304, 600, 400.5, Number.NaN]) {
      expect(thrown(() => refusalResponse(status))).toBeInstanceOf(RangeError);
    }
  });

  it("refuses framing headers and header injection with TypeError", () => {
    for (const name of ["Content-Length", "Transfer-Encoding", "Connection"]) {
      expect(thrown(() => refusalResponse(400, { [name]: "1" }))).toBeInstanceOf(TypeError);
    }
    expect(thrown(() => refusalResponse(400, { "X-A": "a\rb" }))).toBeInstanceOf(TypeError);
  });
});

describe("serializeResponseHead", () => {
  it("writes a fallback handler's Response head", async () => {
    const response = new Response("Hello", {
      status: 200,
      headers: { "Content-Type": "text/plain", "X-Powered-By": "wsflow" },
    });
    const body = new Uint8Array(await response.arrayBuffer());
    const headers = new Headers(response.headers);
    headers.set("content-length", String(body.length));
    expect(text(serializeResponseHead(response.status, response.statusText, headers))).toBe(
      "HTTP/1.1 200 OK\r\n" +
        "Content-Length: 5\r\n" +
        "Content-Type: text/plain\r\n" +
        "X-Powered-By: wsflow\r\n" +
        "\r\n",
    );
  });

  it("keeps a custom reason phrase and writes an empty one for unknown statuses", () => {
    expect(text(serializeResponseHead(200, "Fine", {}))).toBe("HTTP/1.1 200 Fine\r\n\r\n");
    expect(text(serializeResponseHead(299, "", []))).toBe("HTTP/1.1 299 \r\n\r\n");
    expect(text(serializeResponseHead(200, "Tr\xe8s bien", {}))).toBe(
      "HTTP/1.1 200 Tr\xe8s bien\r\n\r\n",
    );
  });

  it("refuses a bad status with RangeError and injection with TypeError", () => {
    expect(thrown(() => serializeResponseHead(99, "", {}))).toBeInstanceOf(RangeError);
    expect(thrown(() => serializeResponseHead(1000, "", {}))).toBeInstanceOf(RangeError);
    expect(thrown(() => serializeResponseHead(200, "OK\r\nX: 1", {}))).toBeInstanceOf(TypeError);
    expect(thrown(() => serializeResponseHead(200, "\u263a", {}))).toBeInstanceOf(TypeError);
  });
});
