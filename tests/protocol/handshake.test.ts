import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import {
  acceptKey,
  createClientHandshake,
  isUpgradeRequest,
  refusalResponseHead,
  serializeResponseHead,
  upgradeResponseHead,
  type UpgradeResponseLike,
  validateUpgradeRequest,
  validateUpgradeResponse,
} from "../../src/protocol/handshake.ts";
import { type Http1Request, Http1RequestParser } from "../../src/protocol/http1_request_parser.ts";
import {
  type Http1Response,
  Http1ResponseParser,
} from "../../src/protocol/http1_response_parser.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
const KIB_64 = 64 * 1024;

function text(bytes: Uint8Array): string {
  // One character per byte, to see exactly what goes on the wire.
  return String.fromCharCode(...bytes);
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("Expected an error, none was thrown");
}

async function rejected(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("Expected a rejection, none came");
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

describe("acceptKey", () => {
  it("rfc6455#section-4.2.2 turns the RFC's example key into its accept value", async () => {
    expect(await acceptKey(RFC_KEY)).toBe(RFC_ACCEPT);
  });

  it("gives 28 base64 characters for any key", async () => {
    const key = createClientHandshake({ url: "ws://a/" }).key;
    expect(await acceptKey(key)).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(await acceptKey(key)).not.toBe(RFC_ACCEPT);
  });
});

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

describe("refusalResponseHead", () => {
  it("writes a complete response with Content-Length and Connection: close", () => {
    const body = "Cannot upgrade: the request has no Host header field\n";
    expect(text(refusalResponseHead(400, undefined, body))).toBe(
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
      text(refusalResponseHead(404)).endsWith(
        "Content-Length: 14\r\n" +
          "Connection: close\r\n\r\n404 Not Found\n",
      ),
    ).toBe(true);
    const message = "Forbidden \u2014 caf\u00e9 \u{1f600}";
    const bytes = refusalResponseHead(403, {}, message);
    const [head, body] = decoder.decode(bytes).split("\r\n\r\n");
    expect(encoder.encode(message).length).toBe(24);
    expect(head).toContain("Content-Length: 24\r\n");
    expect(body).toBe("Forbidden \u2014 caf\u00e9 \u{1f600}");
    expect(text(refusalResponseHead(599))).toMatch(/^HTTP\/1\.1 599 \r\n[^]*\r\n\r\n599\n$/);
  });

  it("rfc7230#section-6.7 lists Upgrade in Connection when it sends Upgrade, as a 426 must", () => {
    const error = thrown(() =>
      validateUpgradeRequest({ method: "GET", headers: new Headers({ Host: "a" }) })
    ) as HandshakeError;
    const response = text(refusalResponseHead(error.status, error.headers, error.message));
    expect(response).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(response).toContain("\r\nUpgrade: websocket\r\n");
    expect(response).toContain("\r\nSec-WebSocket-Version: 13\r\n");
    expect(response).toContain("\r\nConnection: Upgrade, close\r\n");
  });

  it("keeps a Content-Type the caller sets", () => {
    const response = text(refusalResponseHead(401, { "Content-Type": "application/json" }, "{}"));
    expect(response).toContain("\r\nContent-Type: application/json\r\n");
    expect(response).not.toContain("text/plain");
  });

  it("refuses statuses that cannot refuse with RangeError", () => {
    for (const status of [101, 200, 204, 299, 304, 600, 400.5, Number.NaN]) {
      expect(thrown(() => refusalResponseHead(status))).toBeInstanceOf(RangeError);
    }
  });

  it("refuses framing headers and header injection with TypeError", () => {
    for (const name of ["Content-Length", "Transfer-Encoding", "Connection"]) {
      expect(thrown(() => refusalResponseHead(400, { [name]: "1" }))).toBeInstanceOf(TypeError);
    }
    expect(thrown(() => refusalResponseHead(400, { "X-A": "a\rb" }))).toBeInstanceOf(TypeError);
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

describe("createClientHandshake", () => {
  it("writes the request, path and query included", () => {
    const { key, requestBytes, protocols, extensionsOffered } = createClientHandshake({
      url: new URL("ws://example.com:8080/chat?room=1&x=%20"),
      protocols: ["chat", "superchat"],
      extensions: "permessage-deflate; client_max_window_bits",
      headers: { Origin: "http://example.com", "X-Trace": "1" },
    });
    expect(text(requestBytes)).toBe(
      "GET /chat?room=1&x=%20 HTTP/1.1\r\n" +
        "Host: example.com:8080\r\n" +
        "Upgrade: websocket\r\n" +
        "Connection: Upgrade\r\n" +
        `Sec-WebSocket-Key: ${key}\r\n` +
        "Sec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Protocol: chat, superchat\r\n" +
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
        "Origin: http://example.com\r\n" +
        "X-Trace: 1\r\n" +
        "\r\n",
    );
    expect(protocols).toEqual(["chat", "superchat"]);
    expect(extensionsOffered).toBe("permessage-deflate; client_max_window_bits");
  });

  it("takes http: and https: URLs as ws: and wss: and never sends user info", () => {
    const lines = (url: string): string[] =>
      text(createClientHandshake({ url }).requestBytes).split("\r\n");
    expect(lines("http://example.com/")[1]).toBe("Host: example.com");
    expect(lines("https://example.com:443/")[1]).toBe("Host: example.com");
    const withUser = text(createClientHandshake({ url: "ws://user:pw@example.com/" }).requestBytes);
    expect(withUser).not.toContain("user");
    expect(withUser).not.toContain("pw");
  });

  it("refuses invalid URLs with SyntaxError", () => {
    for (
      const url of ["not a url", "ftp://example.com/", "file:///tmp/x", "ws://a/#", "ws://a/#x"]
    ) {
      expect(thrown(() => createClientHandshake({ url })), url).toBeInstanceOf(SyntaxError);
    }
  });

  it("refuses headers the handshake writes itself and header injection with TypeError", () => {
    for (
      const name of [
        "Host",
        "Upgrade",
        "Connection",
        "Sec-WebSocket-Key",
        "Sec-WebSocket-Version",
        "Sec-WebSocket-Protocol",
        "Sec-WebSocket-Extensions",
        "Content-Length",
      ]
    ) {
      expect(thrown(() => createClientHandshake({ url: "ws://a/", headers: { [name]: "x" } })))
        .toBeInstanceOf(TypeError);
    }
    expect(thrown(() => createClientHandshake({ url: "ws://a/", extensions: "a\r\nX: 1" })))
      .toBeInstanceOf(Error);
  });

  it("refuses extension offers that do not parse with SyntaxError", () => {
    expect(thrown(() => createClientHandshake({ url: "ws://a/", extensions: 'a; b="c d"' })))
      .toBeInstanceOf(SyntaxError);
  });
});

describe("validateUpgradeResponse", () => {
  function response(extra: Record<string, string> = {}, status = 101): UpgradeResponseLike {
    return {
      status,
      headers: new Headers({
        Upgrade: "websocket",
        Connection: "Upgrade",
        "Sec-WebSocket-Accept": RFC_ACCEPT,
        ...extra,
      }),
    };
  }

  it("returns the selected protocol and extensions, or empty strings", async () => {
    expect(await validateUpgradeResponse(response(), { key: RFC_KEY })).toEqual({
      protocol: "",
      extensions: "",
      extensionList: [],
    });
    const accepted = await validateUpgradeResponse(
      response({
        "Sec-WebSocket-Protocol": "superchat",
        "Sec-WebSocket-Extensions": "permessage-deflate; server_max_window_bits=10",
      }),
      {
        key: RFC_KEY,
        protocols: ["chat", "superchat"],
        extensionsOffered: "permessage-deflate; client_max_window_bits",
      },
    );
    expect(accepted.protocol).toBe("superchat");
    expect(accepted.extensions).toBe("permessage-deflate; server_max_window_bits=10");
    expect(accepted.extensionList).toEqual([
      { name: "permessage-deflate", params: [["server_max_window_bits", "10"]] },
    ]);
  });

  it("carries the response's status and headers in the error, for redirects and challenges", async () => {
    const error = await rejected(() =>
      validateUpgradeResponse({
        status: 302,
        headers: new Headers({ Location: "ws://elsewhere/" }),
      }, { key: RFC_KEY })
    ) as HandshakeError;
    expect(error).toBeInstanceOf(HandshakeError);
    expect(error.status).toBe(302);
    expect(error.headers.get("location")).toBe("ws://elsewhere/");
    expect(error.message).toBe(
      "Cannot connect: the server answered 302 Found, not 101 Switching Protocols " +
        "(rfc6455#section-4.1)",
    );
  });

  it("accepts a web Response shape and a parsed response head", async () => {
    const head = new Http1ResponseParser().push(upgradeResponseHead({ accept: RFC_ACCEPT }))!;
    expect((await validateUpgradeResponse(head, { key: RFC_KEY })).protocol).toBe("");
  });
});

describe("the whole handshake, bytes in and out", () => {
  it("rfc6455#section-4 completes between this client and this server, keeping early frames", async () => {
    const client = createClientHandshake({
      url: "wss://[2001:db8::1]:9443/live?x=1",
      protocols: ["v2.chat", "v1.chat"],
      extensions: "permessage-deflate; client_max_window_bits",
    });
    const clientFrame = new Uint8Array([0x81, 0x80, 1, 2, 3, 4]);
    const requestParser = new Http1RequestParser();
    let request: Http1Request | null = null;
    const sent = new Uint8Array([...client.requestBytes, ...clientFrame]);
    let next = 0;
    for (; next < sent.length && request === null; next += 7) {
      request = requestParser.push(sent.subarray(next, next + 7));
    }
    const early = [...request!.rest, ...sent.subarray(next)];
    expect(request?.target).toBe("/live?x=1");
    expect(request?.headers.get("host")).toBe("[2001:db8::1]:9443");
    expect(isUpgradeRequest(request!)).toBe(true);
    const info = validateUpgradeRequest(request!);
    expect(info.protocols).toEqual(["v2.chat", "v1.chat"]);
    expect(info.extensions[0]!.name).toBe("permessage-deflate");
    expect(early).toEqual([...clientFrame]);

    const serverFrame = new Uint8Array([0x81, 0x02, 0x68, 0x69]);
    const answer = new Uint8Array([
      ...upgradeResponseHead({
        accept: await acceptKey(info.key),
        protocol: "v1.chat",
        extensions: "permessage-deflate",
      }),
      ...serverFrame,
    ]);
    const responseParser = new Http1ResponseParser();
    let response: Http1Response | null = null;
    for (let i = 0; i < answer.length && response === null; i++) {
      response = responseParser.push(answer.subarray(i, i + 1));
    }
    // One byte at a time: the frame arrives after the head completed.
    expect(response?.rest.length).toBe(0);
    const accepted = await validateUpgradeResponse(response!, client);
    expect(accepted.protocol).toBe("v1.chat");
    expect(accepted.extensions).toBe("permessage-deflate");
  });
});
