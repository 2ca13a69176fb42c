// The client's side of the opening handshake as an API (rfc6455#section-4.1): the request it
// writes, the checks of the server's answer, and a whole handshake against the server side,
// bytes in and out. The rules one by one are in tests/rfc6455/section_4_handshake.test.ts.
import { describe, expect, it } from "vitest";
import { acceptKey } from "../../src/protocol/accept_key.ts";
import {
  checkProtocolOffer,
  createClientHandshake,
  type UpgradeResponseLike,
  validateUpgradeResponse,
} from "../../src/protocol/client_handshake.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { type Http1Request, Http1RequestParser } from "../../src/protocol/http1_request_parser.ts";
import {
  type Http1Response,
  Http1ResponseParser,
} from "../../src/protocol/http1_response_parser.ts";
import {
  isUpgradeRequest,
  upgradeResponseHead,
  validateUpgradeRequest,
} from "../../src/protocol/server_handshake.ts";
import { rejected, thrown } from "../_helpers/thrown.ts";

const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

function text(bytes: Uint8Array): string {
  // One character per byte, to see exactly what goes on the wire.
  return String.fromCharCode(...bytes);
}

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
    // The random Sec-WebSocket-Key may spell "pw" by chance (about once in 200 runs), so it is
    // left out of what is searched.
    const withUser = text(createClientHandshake({ url: "ws://user:pw@example.com/" }).requestBytes)
      .split("\r\n").filter((line) => !line.startsWith("Sec-WebSocket-Key:")).join("\r\n");
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

describe("checkProtocolOffer", () => {
  it("rfc6455#section-4.1 takes non-empty tokens, each once, compared exactly", () => {
    checkProtocolOffer([]);
    checkProtocolOffer(["chat", "Chat", "v2.json"]);
  });

  it("rfc6455#section-4.1 throws SyntaxError naming the subprotocol that is not a token or is repeated", () => {
    const notToken = thrown(() => checkProtocolOffer(["chat", "a b"]));
    expect(notToken).toBeInstanceOf(SyntaxError);
    expect((notToken as Error).message).toBe(
      'Cannot offer subprotocol "a b": not a token (rfc6455#section-4.1)',
    );
    const twice = thrown(() => checkProtocolOffer(["chat", "chat"]));
    expect(twice).toBeInstanceOf(SyntaxError);
    expect((twice as Error).message).toBe(
      'Cannot offer subprotocol "chat" twice (rfc6455#section-4.1)',
    );
  });

  it("is the check createClientHandshake runs", () => {
    const error = thrown(() => createClientHandshake({ url: "ws://a/", protocols: ["x", "x"] }));
    expect((error as Error).message).toBe(
      (thrown(() => checkProtocolOffer(["x", "x"])) as Error).message,
    );
  });
});
