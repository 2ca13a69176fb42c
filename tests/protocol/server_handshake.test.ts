// The server's side of the opening handshake as an API (rfc6455#section-4.2): telling upgrade
// requests apart, validating them, the Sec-WebSocket-* checks an HTTP/2 extended CONNECT will
// share, and the 101 head. The rules one by one are in tests/rfc6455/section_4_handshake.test.ts.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { Http1RequestParser } from "../../src/protocol/http1_request_parser.ts";
import {
  isUpgradeRequest,
  upgradeResponseHead,
  validateUpgradeRequest,
  validateWebSocketFields,
} from "../../src/protocol/server_handshake.ts";
import { thrown } from "../_helpers/thrown.ts";

const encoder = new TextEncoder();
const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const KIB_64 = 64 * 1024;

function text(bytes: Uint8Array): string {
  // One character per byte, to see exactly what goes on the wire.
  return String.fromCharCode(...bytes);
}

function upgradeHeaders(extra: Record<string, string> = {}): Headers {
  return new Headers({
    Host: "example.com",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": RFC_KEY,
    "Sec-WebSocket-Version": "13",
    ...extra,
  });
}

describe("isUpgradeRequest", () => {
  it("recognises web Requests and parsed heads that ask for websocket in any case", () => {
    expect(isUpgradeRequest(new Request("http://a/", { headers: { Upgrade: "websocket" } })))
      .toBe(true);
    expect(isUpgradeRequest({ method: "GET", headers: new Headers({ upgrade: "WebSocket" }) }))
      .toBe(true);
    const head = new Http1RequestParser().push(
      encoder.encode("GET / HTTP/1.1\r\nUpgrade: h2c\r\nUpgrade:  WEBSOCKET \r\n\r\n"),
    )!;
    expect(isUpgradeRequest(head)).toBe(true);
  });

  it("tells ordinary requests apart", () => {
    expect(isUpgradeRequest(new Request("http://a/"))).toBe(false);
    expect(isUpgradeRequest(new Request("http://a/", { headers: { Upgrade: "h2c" } }))).toBe(false);
    expect(isUpgradeRequest(new Request("http://a/", { headers: { Upgrade: "websockets" } })))
      .toBe(false);
    expect(isUpgradeRequest({ method: "POST", headers: new Headers({ Upgrade: "websocket" }) }))
      .toBe(true); // an upgrade attempt, refused later with 405
  });

  it("rfc7230#section-6.7 ignores Upgrade in an HTTP/1.0 request", () => {
    const headers = new Headers({ Upgrade: "websocket" });
    expect(isUpgradeRequest({ method: "GET", headers, version: "HTTP/1.0" })).toBe(false);
    expect(isUpgradeRequest({ method: "GET", headers, version: "HTTP/1.1" })).toBe(true);
    expect(isUpgradeRequest({ method: "GET", headers, version: "HTTP/1.2" })).toBe(true);
  });
});

describe("validateUpgradeRequest", () => {
  it("returns the key, offers, Host and Origin of a web Request", () => {
    const info = validateUpgradeRequest(
      new Request("http://example.com/chat", {
        headers: upgradeHeaders({
          Origin: "http://example.com",
          "Sec-WebSocket-Protocol": "chat, superchat",
          "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits, x-foo",
        }),
      }),
    );
    expect(info).toEqual({
      key: RFC_KEY,
      protocols: ["chat", "superchat"],
      extensions: [
        { name: "permessage-deflate", params: [["client_max_window_bits", null]] },
        { name: "x-foo", params: [] },
      ],
      host: "example.com",
      origin: "http://example.com",
    });
  });

  it("returns empty offers and a null Origin when the client sent none", () => {
    const info = validateUpgradeRequest({ method: "GET", headers: upgradeHeaders() });
    expect([info.protocols, info.extensions, info.origin]).toEqual([[], [], null]);
  });

  it("names the broken rule in sentence case with the RFC token at the end", () => {
    const error = thrown(() =>
      validateUpgradeRequest({
        method: "GET",
        headers: upgradeHeaders({ "Sec-WebSocket-Key": "abc" }),
      })
    ) as HandshakeError;
    expect(error).toBeInstanceOf(HandshakeError);
    expect(error.closeCode).toBe(1002);
    expect(error.message).toBe(
      'Cannot upgrade: Sec-WebSocket-Key "abc" is not 16 bytes in base64 (rfc6455#section-4.2.1)',
    );
  });

  it("keeps the parse error as the cause of a malformed field", () => {
    const error = thrown(() =>
      validateUpgradeRequest({
        method: "GET",
        headers: upgradeHeaders({ "Sec-WebSocket-Protocol": "a b" }),
      })
    ) as HandshakeError;
    expect(error.status).toBe(400);
    expect(error.cause).toBeInstanceOf(SyntaxError);
  });

  it("finishes quickly on 64 KiB of hostile Sec-WebSocket-Protocol and -Extensions values", () => {
    const hostile = [
      " ".repeat(KIB_64),
      ",".repeat(KIB_64),
      ", ".repeat(KIB_64 / 2),
      "\\".repeat(KIB_64),
      "a;".repeat(KIB_64 / 2),
      'a; b="' + "\\\\".repeat(KIB_64 / 2),
      "a".repeat(KIB_64) + "\\",
    ];
    for (const value of hostile) {
      for (const field of ["Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"]) {
        const headers = upgradeHeaders({ [field]: `x${value}` });
        try {
          validateUpgradeRequest({ method: "GET", headers });
        } catch (error) {
          expect((error as HandshakeError).status).toBe(400);
        }
      }
    }
  });

  it("offers __proto__, constructor and toString extension parameters as plain data", () => {
    const info = validateUpgradeRequest({
      method: "GET",
      headers: upgradeHeaders({
        "Sec-WebSocket-Extensions": "__proto__; __proto__=1; constructor; toString=x",
      }),
    });
    expect(info.extensions).toEqual([{
      name: "__proto__",
      params: [["__proto__", "1"], ["constructor", null], ["toString", "x"]],
    }]);
    expect(Object.getPrototypeOf(info.extensions[0])).toBe(Object.prototype);
  });
});

describe("validateWebSocketFields", () => {
  it("returns the key and the offers of the Sec-WebSocket-* fields", () => {
    const fields = validateWebSocketFields({
      method: "GET",
      headers: upgradeHeaders({
        "Sec-WebSocket-Protocol": "chat, superchat",
        "Sec-WebSocket-Extensions": "permessage-deflate",
      }),
    });
    expect(fields).toEqual({
      key: RFC_KEY,
      protocols: ["chat", "superchat"],
      extensions: [{ name: "permessage-deflate", params: [] }],
    });
  });

  it("rfc8441#section-5 skips the key when told to, as an extended CONNECT has none", () => {
    const headers = new Headers({ "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "a" });
    const fields = validateWebSocketFields({ method: "CONNECT", headers }, { key: false });
    expect(fields).toEqual({ key: "", protocols: ["a"], extensions: [] });
    const error = thrown(() =>
      validateWebSocketFields({ method: "GET", headers })
    ) as HandshakeError;
    expect(error.status).toBe(400);
    expect(error.message).toContain("no Sec-WebSocket-Key");
  });

  it("rfc6455#section-4.4 checks the version first, so an old client learns which to speak", () => {
    const error = thrown(() =>
      validateWebSocketFields({
        method: "GET",
        headers: new Headers({
          "Sec-WebSocket-Version": "8",
          "Sec-WebSocket-Key": "abc",
          "Sec-WebSocket-Protocol": "a b",
        }),
      })
    ) as HandshakeError;
    expect(error.status).toBe(426);
    expect(error.headers.get("sec-websocket-version")).toBe("13");
  });

  it("rfc6455#section-4.2.1 checks the key before the offers", () => {
    const error = thrown(() =>
      validateWebSocketFields({
        method: "GET",
        headers: upgradeHeaders({ "Sec-WebSocket-Key": "abc", "Sec-WebSocket-Protocol": "a b" }),
      })
    ) as HandshakeError;
    expect(error.message).toBe(
      'Cannot upgrade: Sec-WebSocket-Key "abc" is not 16 bytes in base64 (rfc6455#section-4.2.1)',
    );
  });

  it("rfc6455#section-4.1 refuses a subprotocol offered twice with 400", () => {
    const error = thrown(() =>
      validateWebSocketFields({
        method: "CONNECT",
        headers: new Headers({ "Sec-WebSocket-Version": "13", "Sec-WebSocket-Protocol": "a, a" }),
      }, { key: false })
    ) as HandshakeError;
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/\(rfc6455#section-4\.1\)$/);
  });
});

describe("upgradeResponseHead", () => {
  it("rfc6455#section-4.2.2 writes the RFC's server handshake byte for byte", () => {
    expect(text(upgradeResponseHead({ accept: RFC_ACCEPT, protocol: "chat" }))).toBe(
      "HTTP/1.1 101 Switching Protocols\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" +
        "Sec-WebSocket-Protocol: chat\r\n" +
        "\r\n",
    );
  });

  it("writes extensions and extra headers, one line per Set-Cookie", () => {
    const headers = new Headers([["x-request-id", "42"], ["set-cookie", "a=1"]]);
    headers.append("set-cookie", "b=2; Path=/");
    const head = text(upgradeResponseHead({
      accept: RFC_ACCEPT,
      protocol: "",
      extensions: "permessage-deflate; server_no_context_takeover",
      headers,
    }));
    expect(head).toBe(
      "HTTP/1.1 101 Switching Protocols\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${RFC_ACCEPT}\r\n` +
        "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n" +
        "X-Request-Id: 42\r\n" +
        "Set-Cookie: a=1\r\n" +
        "Set-Cookie: b=2; Path=/\r\n" +
        "\r\n",
    );
  });

  it("refuses CR and LF in every value it writes with TypeError", () => {
    const attempts = [
      { accept: `${RFC_ACCEPT}\r\nX-Injected: 1` },
      { accept: RFC_ACCEPT, protocol: "chat\r\nX-Injected: 1" },
      { accept: RFC_ACCEPT, extensions: "a\r\nX-Injected: 1" },
      { accept: RFC_ACCEPT, extensions: "a; b=\n" },
      { accept: "a\nb" },
      { accept: "a\x00b" },
      { accept: "\u0100" },
    ];
    for (const options of attempts) {
      expect(thrown(() => upgradeResponseHead(options))).toBeInstanceOf(TypeError);
    }
  });

  it("refuses extra headers that would override the handshake or add a body", () => {
    for (
      const name of [
        "Upgrade",
        "Connection",
        "Sec-WebSocket-Accept",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
        "Content-Length",
        "Transfer-Encoding",
      ]
    ) {
      const error = thrown(() =>
        upgradeResponseHead({ accept: RFC_ACCEPT, headers: { [name]: "x" } })
      );
      expect(error, name).toBeInstanceOf(TypeError);
    }
  });

  it("rfc6455#section-4.2.2 refuses a protocol that is not a single token", () => {
    for (const protocol of ["chat, superchat", "a b", "a;b"]) {
      expect(thrown(() => upgradeResponseHead({ accept: RFC_ACCEPT, protocol })))
        .toBeInstanceOf(TypeError);
    }
  });
});
