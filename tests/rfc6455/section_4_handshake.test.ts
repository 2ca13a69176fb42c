// The opening handshake of rfc6455#section-4, one test per rule the protocol core decides: what the
// client sends (4.1), what the client checks in the response (4.1), what the server checks in the
// request (4.2.1) and what it answers (4.2.2, 4.4). Heads go through the parsers as bytes, in
// every chunking (whole, split at every byte boundary, one byte at a time).
import { describe, expect, it } from "vitest";
import { acceptKey } from "../../src/protocol/accept_key.ts";
import {
  createClientHandshake,
  type ExpectedUpgrade,
  type UpgradeResponseInfo,
  validateUpgradeResponse,
} from "../../src/protocol/client_handshake.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { type Http1Request, Http1RequestParser } from "../../src/protocol/http1_request_parser.ts";
import {
  type Http1Response,
  Http1ResponseParser,
} from "../../src/protocol/http1_response_parser.ts";
import { refusalResponse } from "../../src/protocol/http1_response_writer.ts";
import {
  isUpgradeRequest,
  type UpgradeRequestInfo,
  upgradeResponseHead,
  validateUpgradeRequest,
} from "../../src/protocol/server_handshake.ts";

const encoder = new TextEncoder();
const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

type Fields = [name: string, value: string][];

function chunkings(input: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [[input]];
  for (let i = 0; i <= input.length; i++) ways.push([input.subarray(0, i), input.subarray(i)]);
  ways.push(Array.from(input, (_, i) => input.subarray(i, i + 1)));
  return ways;
}

/** Builds a head from a start line and fields: `set` replaces (or with null removes) a field. */
function head(
  startLine: string,
  base: Fields,
  set: Record<string, string | null> = {},
  add: Fields = [],
): Uint8Array {
  const fields: Fields = [];
  for (const [name, value] of base) {
    if (!(name in set)) fields.push([name, value]);
    else if (set[name] !== null) fields.push([name, set[name]!]);
  }
  fields.push(...add);
  const lines = [startLine, ...fields.map(([name, value]) => `${name}: ${value}`)];
  return encoder.encode(`${lines.join("\r\n")}\r\n\r\n`);
}

// rfc6455#section-1.2: the client's handshake
const RFC_REQUEST_FIELDS: Fields = [
  ["Host", "server.example.com"],
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Key", RFC_KEY],
  ["Origin", "http://example.com"],
  ["Sec-WebSocket-Protocol", "chat, superchat"],
  ["Sec-WebSocket-Version", "13"],
];

function request(
  set: Record<string, string | null> = {},
  add: Fields = [],
  requestLine = "GET /chat HTTP/1.1",
): Uint8Array {
  return head(requestLine, RFC_REQUEST_FIELDS, set, add);
}

/** What the server decides: 101 with the offer, or the refusal's status and headers. */
interface ServerOutcome {
  status: number;
  headers: Fields;
  message: string;
  info: UpgradeRequestInfo | null;
  rest: number[];
}

function serverDecides(chunks: Uint8Array[]): ServerOutcome {
  const parser = new Http1RequestParser();
  let parsed: Http1Request | null = null;
  const after: number[] = [];
  try {
    for (const chunk of chunks) {
      if (parsed !== null) after.push(...chunk);
      else parsed = parser.push(chunk);
    }
    if (parsed === null) parser.end();
    const info = validateUpgradeRequest(parsed!);
    return { status: 101, headers: [], message: "", info, rest: [...parsed!.rest, ...after] };
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    return {
      status: error.status,
      headers: [...error.headers],
      message: error.message,
      info: null,
      rest: [],
    };
  }
}

/** The server's decision on `input`, checked to be the same in every chunking. */
function server(input: Uint8Array): ServerOutcome {
  const expected = serverDecides([input]);
  for (const chunks of chunkings(input)) expect(serverDecides(chunks)).toEqual(expected);
  return expected;
}

// rfc6455#section-1.2: the server's handshake
const RFC_RESPONSE_FIELDS: Fields = [
  ["Upgrade", "websocket"],
  ["Connection", "Upgrade"],
  ["Sec-WebSocket-Accept", RFC_ACCEPT],
  ["Sec-WebSocket-Protocol", "chat"],
];
const RFC_OFFER: ExpectedUpgrade = { key: RFC_KEY, protocols: ["chat", "superchat"] };

function response(
  set: Record<string, string | null> = {},
  add: Fields = [],
  statusLine = "HTTP/1.1 101 Switching Protocols",
): Uint8Array {
  return head(statusLine, RFC_RESPONSE_FIELDS, set, add);
}

function parseResponse(chunks: Uint8Array[]): Http1Response {
  const parser = new Http1ResponseParser();
  let parsed: Http1Response | null = null;
  for (const chunk of chunks) parsed ??= parser.push(chunk);
  if (parsed === null) parser.end();
  return parsed!;
}

/** The client's verdict on `input`: the accepted upgrade or the HandshakeError. */
async function client(
  input: Uint8Array,
  expected: ExpectedUpgrade = RFC_OFFER,
): Promise<UpgradeResponseInfo | HandshakeError> {
  const whole = parseResponse([input]);
  for (const chunks of chunkings(input)) {
    const parsed = parseResponse(chunks);
    expect([parsed.status, [...parsed.headers]]).toEqual([whole.status, [...whole.headers]]);
  }
  try {
    return await validateUpgradeResponse(whole, expected);
  } catch (error) {
    if (error instanceof HandshakeError) return error;
    throw error;
  }
}

async function clientFails(
  input: Uint8Array,
  expected: ExpectedUpgrade = RFC_OFFER,
): Promise<HandshakeError> {
  const verdict = await client(input, expected);
  expect(verdict).toBeInstanceOf(HandshakeError);
  const error = verdict as HandshakeError;
  expect(error.message).toMatch(/^Cannot connect: .*\(rfc6455#section-4\.1\)$/);
  return error;
}

async function clientAccepts(
  input: Uint8Array,
  expected: ExpectedUpgrade = RFC_OFFER,
): Promise<UpgradeResponseInfo> {
  const verdict = await client(input, expected);
  if (verdict instanceof HandshakeError) throw verdict;
  return verdict;
}

function requestLines(url: string, options: { protocols?: string[] } = {}): string[] {
  return String.fromCharCode(...createClientHandshake({ url, ...options }).requestBytes)
    .split("\r\n");
}

function field(lines: string[], name: string): string[] {
  const prefix = `${name.toLowerCase()}:`;
  return lines.filter((line) => line.toLowerCase().startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim());
}

describe("rfc6455#section-4.1 the client's opening handshake", () => {
  it("rfc6455#section-4.1 client's handshake is a valid HTTP/1.1 request that a server accepts", async () => {
    const handshake = createClientHandshake({ url: "ws://server.example.com/chat" });
    const outcome = server(handshake.requestBytes);
    expect(outcome.status).toBe(101);
    expect(outcome.info?.key).toBe(handshake.key);
    expect(await acceptKey(handshake.key)).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it("rfc6455#section-4.1 client sends method GET and HTTP version 1.1", () => {
    expect(requestLines("ws://example.com/chat")[0]).toMatch(/^GET \S+ HTTP\/1\.1$/);
  });

  it("rfc6455#section-4.1 client's request-target is the resource name: path and query", () => {
    expect(requestLines("ws://example.com/a/b?c=d&e")[0]).toBe("GET /a/b?c=d&e HTTP/1.1");
    expect(requestLines("ws://example.com")[0]).toBe("GET / HTTP/1.1");
    expect(requestLines("ws://example.com/?")[0]).toBe("GET / HTTP/1.1");
    expect(requestLines("ws://example.com/caf\u00e9 x")[0]).toBe("GET /caf%C3%A9%20x HTTP/1.1");
  });

  it("rfc6455#section-4.1 client's Host carries the port only when it is not the default", () => {
    expect(field(requestLines("ws://example.com/"), "Host")).toEqual(["example.com"]);
    expect(field(requestLines("ws://example.com:80/"), "Host")).toEqual(["example.com"]);
    expect(field(requestLines("wss://example.com:443/"), "Host")).toEqual(["example.com"]);
    expect(field(requestLines("ws://example.com:443/"), "Host")).toEqual(["example.com:443"]);
    expect(field(requestLines("wss://example.com:80/"), "Host")).toEqual(["example.com:80"]);
    expect(field(requestLines("ws://Example.COM:8080/"), "Host")).toEqual(["example.com:8080"]);
  });

  it("rfc6455#section-4.1 client's Host keeps the brackets of an IPv6 literal", () => {
    expect(field(requestLines("ws://[::1]/"), "Host")).toEqual(["[::1]"]);
    expect(field(requestLines("wss://[2001:db8::7]:8443/"), "Host")).toEqual([
      "[2001:db8::7]:8443",
    ]);
  });

  it("rfc6455#section-4.1 client sends Upgrade: websocket", () => {
    expect(field(requestLines("ws://a/"), "Upgrade")).toEqual(["websocket"]);
  });

  it("rfc6455#section-4.1 client sends Connection: Upgrade", () => {
    expect(field(requestLines("ws://a/"), "Connection")).toEqual(["Upgrade"]);
  });

  it("rfc6455#section-4.1 client's Sec-WebSocket-Key is 16 bytes in base64", () => {
    const handshake = createClientHandshake({ url: "ws://a/" });
    expect(field(requestLines("ws://a/"), "Sec-WebSocket-Key")[0]).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(atob(handshake.key).length).toBe(16);
    expect(String.fromCharCode(...handshake.requestBytes)).toContain(
      `\r\nSec-WebSocket-Key: ${handshake.key}\r\n`,
    );
  });

  it("rfc6455#section-4.1 client picks a fresh random nonce for each connection", () => {
    const keys = new Set<string>();
    for (let i = 0; i < 200; i++) keys.add(createClientHandshake({ url: "ws://a/" }).key);
    // 200 draws of 128 random bits: a repeat has probability below 1e-34.
    expect(keys.size).toBe(200);
  });

  it("rfc6455#section-4.1 client sends Sec-WebSocket-Version: 13", () => {
    expect(field(requestLines("ws://a/"), "Sec-WebSocket-Version")).toEqual(["13"]);
  });

  it("rfc6455#section-4.1 client sends Sec-WebSocket-Protocol only when it offers subprotocols", () => {
    expect(field(requestLines("ws://a/"), "Sec-WebSocket-Protocol")).toEqual([]);
    expect(field(requestLines("ws://a/", { protocols: [] }), "Sec-WebSocket-Protocol")).toEqual([]);
    expect(
      field(
        requestLines("ws://a/", { protocols: ["chat", "superchat"] }),
        "Sec-WebSocket-Protocol",
      ),
    ).toEqual(["chat, superchat"]);
  });

  it("rfc6455#section-4.1 client refuses a subprotocol that is not a non-empty token", () => {
    for (
      const protocol of ["", "a b", "a,b", "a;b", "(a)", '"a"', "a\u0080", "caf\u00e9", "a\tb"]
    ) {
      let error: unknown;
      try {
        createClientHandshake({ url: "ws://a/", protocols: [protocol] });
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(protocol)).toBeInstanceOf(SyntaxError);
    }
  });

  it("rfc6455#section-4.1 client refuses a subprotocol offered twice", () => {
    expect(() => createClientHandshake({ url: "ws://a/", protocols: ["chat", "v2", "chat"] }))
      .toThrow(SyntaxError);
    // Subprotocol names are compared exactly, so these are two different ones.
    expect(createClientHandshake({ url: "ws://a/", protocols: ["chat", "Chat"] }).protocols)
      .toEqual(["chat", "Chat"]);
  });

  it("rfc6455#section-3 client refuses a URL with a fragment", () => {
    expect(() => createClientHandshake({ url: "ws://a/chat#room" })).toThrow(SyntaxError);
    expect(() => createClientHandshake({ url: "ws://a/chat#" })).toThrow(SyntaxError);
  });

  it("rfc6455#section-3 client refuses a URL whose scheme is not ws or wss", () => {
    for (const url of ["ftp://a/", "mailto:a@b", "data:,x", "file:///x", "ws://", "not a url"]) {
      let error: unknown;
      try {
        createClientHandshake({ url });
      } catch (caught) {
        error = caught;
      }
      expect(error, url).toBeInstanceOf(SyntaxError);
    }
  });

  it("rfc6455#section-4.1 client sends Origin only when given one, as a non-browser client", () => {
    expect(field(requestLines("ws://a/"), "Origin")).toEqual([]);
    const lines = String.fromCharCode(
      ...createClientHandshake({ url: "ws://a/", headers: { Origin: "https://a" } }).requestBytes,
    ).split("\r\n");
    expect(field(lines, "Origin")).toEqual(["https://a"]);
  });
});

describe("rfc6455#section-4.1 the client checks the server's response", () => {
  it("rfc6455#section-4.1 client accepts the RFC's server handshake", async () => {
    const accepted = await clientAccepts(response());
    expect(accepted).toEqual({ protocol: "chat", extensions: "", extensionList: [] });
  });

  it("rfc6455#section-4.1 client fails a status other than 101 and reports it with its headers", async () => {
    const refused = await clientFails(
      head("HTTP/1.1 426 Upgrade Required", [["Sec-WebSocket-Version", "13"]]),
    );
    expect(refused.status).toBe(426);
    expect(refused.headers.get("sec-websocket-version")).toBe("13");
    for (const status of ["200 OK", "400 Bad Request", "403 Forbidden", "503 Busy"]) {
      const error = await clientFails(response({}, [], `HTTP/1.1 ${status}`));
      expect(error.status).toBe(Number(status.slice(0, 3)));
    }
    const redirect = await clientFails(
      head("HTTP/1.1 307 Temporary Redirect", [["Location", "/x"]]),
    );
    expect([redirect.status, redirect.headers.get("location")]).toEqual([307, "/x"]);
  });

  it("rfc6455#section-4.1 client fails a response without Upgrade", async () => {
    expect((await clientFails(response({ Upgrade: null }))).message).toMatch(/no Upgrade/);
  });

  it("rfc6455#section-4.1 client fails an Upgrade that is not websocket", async () => {
    for (const value of ["h2c", "websocket, h2c", "websocket/13", "web socket", "websockets", ""]) {
      const error = await clientFails(response({ Upgrade: value }));
      expect(error.status).toBe(101);
    }
  });

  it("rfc6455#section-4.1 client takes websocket in any case in Upgrade", async () => {
    for (const value of ["WebSocket", "WEBSOCKET", "websocket"]) {
      await clientAccepts(response({ Upgrade: value }));
    }
  });

  it("rfc6455#section-4.1 client fails a response without Connection", async () => {
    expect((await clientFails(response({ Connection: null }))).message).toMatch(/no Connection/);
  });

  it("rfc6455#section-4.1 client fails a Connection without the upgrade token", async () => {
    for (const value of ["keep-alive", "upgrades", "close", "", "up grade"]) {
      await clientFails(response({ Connection: value }));
    }
  });

  it("rfc6455#section-4.1 client takes upgrade in any case within a Connection list", async () => {
    for (const value of ["upgrade", "UPGRADE", "keep-alive, Upgrade", "Upgrade ,close"]) {
      await clientAccepts(response({ Connection: value }));
    }
    await clientAccepts(response({ Connection: "keep-alive" }, [["Connection", "upgrade"]]));
  });

  it("rfc6455#section-4.1 client fails a response without Sec-WebSocket-Accept", async () => {
    const error = await clientFails(response({ "Sec-WebSocket-Accept": null }));
    expect(error.message).toMatch(/no Sec-WebSocket-Accept/);
  });

  it("rfc6455#section-4.1 client fails a Sec-WebSocket-Accept that does not match its key", async () => {
    const wrong = [
      RFC_KEY,
      RFC_ACCEPT.toLowerCase(),
      RFC_ACCEPT.slice(0, -1),
      `${RFC_ACCEPT}, ${RFC_ACCEPT}`,
      await acceptKey("AAAAAAAAAAAAAAAAAAAAAA=="),
    ];
    for (const value of wrong) await clientFails(response({ "Sec-WebSocket-Accept": value }));
    await clientFails(response({}, [["Sec-WebSocket-Accept", RFC_ACCEPT]]));
    await clientFails(response(), { key: "AAAAAAAAAAAAAAAAAAAAAA==", protocols: ["chat"] });
  });

  it("rfc6455#section-4.1 client fails an extension it did not offer", async () => {
    const error = await clientFails(
      response({}, [["Sec-WebSocket-Extensions", "permessage-deflate"]]),
    );
    expect(error.message).toMatch(/extension "permessage-deflate", which was not offered/);
    await clientFails(response({}, [["Sec-WebSocket-Extensions", "x-other"]]), {
      ...RFC_OFFER,
      extensionsOffered: "permessage-deflate",
    });
    await clientFails(response({}, [["Sec-WebSocket-Extensions", "permessage-deflate, x-other"]]), {
      ...RFC_OFFER,
      extensionsOffered: "permessage-deflate",
    });
    await clientFails(response({}, [["Sec-WebSocket-Extensions", 'a; b="c d"']]), {
      ...RFC_OFFER,
      extensionsOffered: "a",
    });
  });

  it("rfc6455#section-4.1 client accepts an extension it offered, with the server's parameters", async () => {
    const accepted = await clientAccepts(
      response({}, [["Sec-WebSocket-Extensions", "permessage-deflate; server_max_window_bits=10"]]),
      { ...RFC_OFFER, extensionsOffered: "permessage-deflate; client_max_window_bits, x-foo" },
    );
    expect(accepted.extensions).toBe("permessage-deflate; server_max_window_bits=10");
    expect(accepted.extensionList[0]!.params).toEqual([["server_max_window_bits", "10"]]);
  });

  it("rfc6455#section-4.1 client fails a subprotocol it did not offer", async () => {
    const error = await clientFails(response({ "Sec-WebSocket-Protocol": "mqtt" }));
    expect(error.message).toMatch(/subprotocol "mqtt", which was not offered/);
    await clientFails(response({ "Sec-WebSocket-Protocol": "Chat" }));
    await clientFails(response({ "Sec-WebSocket-Protocol": "" }));
  });

  it("rfc6455#section-4.1 client fails a subprotocol when it offered none", async () => {
    const error = await clientFails(response(), { key: RFC_KEY });
    expect(error.message).toMatch(/but none was offered/);
  });

  it("rfc6455#section-4.1 client fails more than one subprotocol in the response", async () => {
    await clientFails(response({ "Sec-WebSocket-Protocol": "chat, superchat" }));
    await clientFails(response({}, [["Sec-WebSocket-Protocol", "superchat"]]));
  });

  it("rfc6455#section-4.1 client goes on without a subprotocol when the server selects none", async () => {
    expect((await clientAccepts(response({ "Sec-WebSocket-Protocol": null }))).protocol).toBe("");
  });

  it("rfc6455#section-4.1 client keeps frames that arrive with the 101 response", () => {
    const frame = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    const input = new Uint8Array([...response(), ...frame]);
    for (let split = 0; split <= input.length; split++) {
      const parser = new Http1ResponseParser();
      const first = parser.push(input.subarray(0, split));
      const kept = first === null
        ? [...parser.push(input.subarray(split))!.rest]
        : [...first.rest, ...input.subarray(split)];
      expect(kept).toEqual(frame);
    }
  });
});

describe("rfc6455#section-4.2.1 the server reads the client's handshake", () => {
  it("rfc6455#section-4.2.1 server accepts the RFC's client handshake", () => {
    const outcome = server(request());
    expect(outcome.status).toBe(101);
    expect(outcome.info).toEqual({
      key: RFC_KEY,
      protocols: ["chat", "superchat"],
      extensions: [],
      host: "server.example.com",
      origin: "http://example.com",
    });
  });

  it("rfc6455#section-4.2.1 server refuses a method other than GET with 405 and Allow: GET", () => {
    for (const method of ["POST", "PUT", "HEAD", "CONNECT", "get"]) {
      const outcome = server(request({}, [], `${method} /chat HTTP/1.1`));
      expect(outcome.status, method).toBe(405);
      expect(outcome.headers).toEqual([["allow", "GET"]]);
    }
  });

  it("rfc6455#section-4.2.1 server treats an HTTP/1.0 request as no upgrade and answers 426", () => {
    const parsed = new Http1RequestParser().push(request({}, [], "GET /chat HTTP/1.0"))!;
    expect(isUpgradeRequest(parsed)).toBe(false);
    const outcome = server(request({}, [], "GET /chat HTTP/1.0"));
    expect(outcome.status).toBe(426);
    expect(outcome.message).toMatch(/HTTP\/1\.1 or later/);
  });

  it("rfc6455#section-4.2.1 server accepts HTTP/1.1 and later 1.x versions", () => {
    expect(server(request({}, [], "GET /chat HTTP/1.1")).status).toBe(101);
    expect(server(request({}, [], "GET /chat HTTP/1.9")).status).toBe(101);
  });

  it("rfc6455#section-4.2.1 server refuses a request without Host with 400", () => {
    expect(server(request({ Host: null })).status).toBe(400);
    expect(server(request({ Host: "" })).status).toBe(400);
  });

  it("rfc6455#section-4.2.1 server refuses a request with two Host fields with 400 (rfc7230#section-5.4)", () => {
    const outcome = server(request({}, [["host", "evil.example.com"]]));
    expect(outcome.status).toBe(400);
    expect(outcome.message).toMatch(/more than one Host/);
  });

  it("rfc6455#section-4.2.1 server answers a request without Upgrade with 426 Upgrade Required", () => {
    const outcome = server(request({ Upgrade: null }));
    expect(outcome.status).toBe(426);
    expect(outcome.headers).toEqual([["sec-websocket-version", "13"], ["upgrade", "websocket"]]);
  });

  it("rfc6455#section-4.2.1 server answers an Upgrade that does not list websocket with 426", () => {
    for (const value of ["h2c", "websocket/13", "websockets", "TLS/1.0"]) {
      expect(server(request({ Upgrade: value })).status, value).toBe(426);
    }
  });

  it("rfc6455#section-4.2.1 server takes websocket in any case within an Upgrade list", () => {
    for (const value of ["WebSocket", "WEBSOCKET", "h2c, websocket", "websocket , HTTP/2.0"]) {
      expect(server(request({ Upgrade: value })).status, value).toBe(101);
    }
    expect(server(request({ Upgrade: "h2c" }, [["Upgrade", "WebSocket"]])).status).toBe(101);
  });

  it("rfc6455#section-4.2.1 server refuses a malformed Upgrade with 400", () => {
    const outcome = server(request({ Upgrade: "websocket, @bad" }));
    expect(outcome.status).toBe(400);
    expect(outcome.message).toMatch(/Upgrade header field is malformed/);
  });

  it("rfc6455#section-4.2.1 server refuses a request without Connection with 400", () => {
    const outcome = server(request({ Connection: null }));
    expect(outcome.status).toBe(400);
    expect(outcome.message).toBe(
      "Cannot upgrade: the request has no Connection header field (rfc6455#section-4.2.1)",
    );
  });

  it("rfc6455#section-4.2.1 server refuses a Connection without the upgrade token with 400", () => {
    for (const value of ["keep-alive", "close", "upgrades", "", "up-grade"]) {
      expect(server(request({ Connection: value })).status, value).toBe(400);
    }
  });

  it("rfc6455#section-4.2.1 server takes upgrade in any case within a Connection list, from several lines too", () => {
    for (const value of ["upgrade", "UPGRADE", "keep-alive, Upgrade", "Upgrade,close"]) {
      expect(server(request({ Connection: value })).status, value).toBe(101);
    }
    // Firefox sends "keep-alive, Upgrade"; a proxy may split it over two lines.
    expect(server(request({ Connection: "keep-alive" }, [["Connection", "Upgrade"]])).status)
      .toBe(101);
  });

  it("rfc6455#section-4.2.1 server refuses a request without Sec-WebSocket-Key with 400", () => {
    const outcome = server(request({ "Sec-WebSocket-Key": null }));
    expect(outcome.status).toBe(400);
    expect(outcome.message).toBe(
      "Cannot upgrade: the request has no Sec-WebSocket-Key header field (rfc6455#section-4.2.1)",
    );
  });

  it("rfc6455#section-4.2.1 server refuses a Sec-WebSocket-Key that is not 16 bytes in base64 with 400", () => {
    const bad = [
      "",
      "dGhlIHNhbXBsZSBub25j", // 15 bytes
      "dGhlIHNhbXBsZSBub25jZQ", // no padding
      "dGhlIHNhbXBsZSBub25jZQ=", // short padding
      "dGhlIHNhbXBsZSBub25jZSE=", // 17 bytes
      "dGhlIHNhbXBsZSBub25jZQ==dGhl",
      "dGhlIHNhbXBs ZSBub25jZQ==",
      "dGhlIHNhbXBsZSBub25jZ-==", // base64url
      "dGhlIHNhbXBsZSBub25jZ_==",
      "dGhlIHNhbXBsZSBub25j====",
      "!GhlIHNhbXBsZSBub25jZQ==",
    ];
    for (const key of bad) {
      expect(server(request({ "Sec-WebSocket-Key": key })).status, key).toBe(400);
    }
    for (
      const key of [
        "AAAAAAAAAAAAAAAAAAAAAA==",
        "/////////////////////w==",
        "abcdefghijklmnopqrstuv==",
      ]
    ) {
      expect(server(request({ "Sec-WebSocket-Key": key })).status, key).toBe(101);
    }
  });

  it("rfc6455#section-4.2.1 server refuses two Sec-WebSocket-Key fields with 400", () => {
    const outcome = server(request({}, [["Sec-WebSocket-Key", RFC_KEY]]));
    expect(outcome.status).toBe(400);
    expect(outcome.message).toMatch(/more than one Sec-WebSocket-Key/);
  });

  it("rfc6455#section-4.4 server answers a request without Sec-WebSocket-Version with 426 and Sec-WebSocket-Version: 13", () => {
    const outcome = server(request({ "Sec-WebSocket-Version": null }));
    expect(outcome.status).toBe(426);
    expect(new Headers(outcome.headers).get("sec-websocket-version")).toBe("13");
  });

  it("rfc6455#section-4.4 server answers an unsupported Sec-WebSocket-Version with 426 and Sec-WebSocket-Version: 13", () => {
    for (const version of ["8", "7", "14", "13, 8", "013", "thirteen"]) {
      const outcome = server(request({ "Sec-WebSocket-Version": version }));
      expect(outcome.status, version).toBe(426);
      expect(new Headers(outcome.headers).get("sec-websocket-version")).toBe("13");
      expect(outcome.message).toMatch(/\(rfc6455#section-4\.4\)$/);
    }
    // The version is checked before the key, so a hixie-era client learns what to speak.
    expect(server(request({ "Sec-WebSocket-Version": "8", "Sec-WebSocket-Key": null })).status)
      .toBe(426);
  });

  it("rfc6455#section-4.2.1 server reads Sec-WebSocket-Protocol in order of preference, from several lines too", () => {
    expect(server(request({ "Sec-WebSocket-Protocol": " b ,a,, c" })).info?.protocols)
      .toEqual(["b", "a", "c"]);
    expect(server(request({}, [["Sec-WebSocket-Protocol", "v3"]])).info?.protocols).toEqual([
      "chat",
      "superchat",
      "v3",
    ]);
    expect(server(request({ "Sec-WebSocket-Protocol": null })).info?.protocols).toEqual([]);
  });

  it("rfc6455#section-4.2.1 server refuses a malformed Sec-WebSocket-Protocol with 400", () => {
    for (const value of ["chat superchat", "chat;v=1", '"chat"', "chat/2"]) {
      expect(server(request({ "Sec-WebSocket-Protocol": value })).status, value).toBe(400);
    }
  });

  it("rfc6455#section-4.1 server refuses a subprotocol offered twice with 400", () => {
    expect(server(request({ "Sec-WebSocket-Protocol": "chat, chat" })).status).toBe(400);
    expect(server(request({}, [["Sec-WebSocket-Protocol", "chat"]])).status).toBe(400);
  });

  it("rfc6455#section-4.2.1 server reads Sec-WebSocket-Extensions offers with parameters, from several lines too", () => {
    const outcome = server(request({}, [
      ["Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"],
      ["Sec-WebSocket-Extensions", 'permessage-deflate; server_max_window_bits="10", x-foo'],
    ]));
    expect(outcome.info?.extensions).toEqual([
      { name: "permessage-deflate", params: [["client_max_window_bits", null]] },
      { name: "permessage-deflate", params: [["server_max_window_bits", "10"]] },
      { name: "x-foo", params: [] },
    ]);
  });

  it("rfc6455#section-4.2.1 server refuses malformed Sec-WebSocket-Extensions with 400", () => {
    for (const value of ["a;", "a; b=", 'a; b="c d"', "a b", "a; b=1; c=@"]) {
      expect(server(request({}, [["Sec-WebSocket-Extensions", value]])).status, value).toBe(400);
    }
  });

  it("rfc6455#section-4.2.1 server passes Origin on and accepts a request without it", () => {
    expect(server(request()).info?.origin).toBe("http://example.com");
    expect(server(request({ Origin: null })).info?.origin).toBe(null);
  });

  it("rfc6455#section-4.2.1 server keeps frames sent right behind the handshake", () => {
    const frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
    expect(server(new Uint8Array([...request(), ...frame])).rest).toEqual(frame);
  });

  it("rfc6455#section-4.2.1 server answers a refused handshake with a complete HTTP response", () => {
    const outcome = server(request({ "Sec-WebSocket-Key": null }));
    const bytes = refusalResponse(outcome.status, outcome.headers, `${outcome.message}\n`);
    const parsed = new Http1ResponseParser().push(bytes)!;
    expect(parsed.status).toBe(400);
    expect(parsed.headers.get("connection")).toBe("close");
    expect(Number(parsed.headers.get("content-length"))).toBe(parsed.rest.length);
    expect(new TextDecoder().decode(parsed.rest)).toBe(`${outcome.message}\n`);
  });
});

describe("rfc6455#section-4.2.2 the server's response", () => {
  it("rfc6455#section-4.2.2 server's accept for the RFC's key dGhlIHNhbXBsZSBub25jZQ== is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", async () => {
    expect(await acceptKey(RFC_KEY)).toBe(RFC_ACCEPT);
  });

  it("rfc6455#section-4.2.2 server answers HTTP/1.1 101 with Upgrade: websocket, Connection: Upgrade and Sec-WebSocket-Accept", async () => {
    const bytes = upgradeResponseHead({ accept: await acceptKey(RFC_KEY) });
    const parsed = new Http1ResponseParser().push(bytes)!;
    expect([parsed.version, parsed.status, parsed.statusText]).toEqual([
      "HTTP/1.1",
      101,
      "Switching Protocols",
    ]);
    expect(parsed.rawHeaders).toEqual([
      ["Upgrade", "websocket"],
      ["Connection", "Upgrade"],
      ["Sec-WebSocket-Accept", RFC_ACCEPT],
    ]);
    expect(parsed.rest.length).toBe(0);
  });

  it("rfc6455#section-4.2.2 server's Sec-WebSocket-Protocol is a single selected value", () => {
    const parsed = new Http1ResponseParser().push(
      upgradeResponseHead({ accept: RFC_ACCEPT, protocol: "superchat" }),
    )!;
    expect(parsed.headers.get("sec-websocket-protocol")).toBe("superchat");
    expect(() => upgradeResponseHead({ accept: RFC_ACCEPT, protocol: "chat, superchat" }))
      .toThrow(TypeError);
  });

  it("rfc6455#section-4.2.2 server sends no Sec-WebSocket-Protocol when it selects none", () => {
    for (const protocol of [undefined, ""]) {
      const parsed = new Http1ResponseParser().push(
        upgradeResponseHead({ accept: RFC_ACCEPT, protocol }),
      )!;
      expect(parsed.headers.has("sec-websocket-protocol")).toBe(false);
    }
  });

  it("rfc6455#section-4.2.2 server's response completes the client's handshake", async () => {
    const handshake = createClientHandshake({ url: "ws://a/", protocols: ["chat", "superchat"] });
    const outcome = server(handshake.requestBytes);
    const selected = outcome.info!.protocols[1]!;
    const bytes = upgradeResponseHead({
      accept: await acceptKey(outcome.info!.key),
      protocol: selected,
    });
    expect((await clientAccepts(bytes, handshake)).protocol).toBe("superchat");
  });
});
