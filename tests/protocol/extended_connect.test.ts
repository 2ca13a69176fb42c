// The opening handshake of a WebSocket over HTTP/2 (RFC 8441) without I/O: the server's checks
// of an extended CONNECT and its answers, the client's request and its check of the answer.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import {
  createExtendedConnect,
  extendedConnectRefusalFields,
  type ExtendedConnectRequest,
  extendedConnectResponseFields,
  ExtendedConnectUnsupportedError,
  validateExtendedConnect,
  validateExtendedConnectResponse,
} from "../../src/protocol/extended_connect.ts";
import { thrown } from "../_helpers/thrown.ts";

function request(
  overrides: Partial<ExtendedConnectRequest> = {},
  fields: Record<string, string> = {},
): ExtendedConnectRequest {
  return {
    method: "CONNECT",
    protocol: "websocket",
    scheme: "https",
    path: "/chat?room=1",
    authority: "example.com",
    headers: new Headers({ "sec-websocket-version": "13", ...fields }),
    ...overrides,
  };
}

function status(error: unknown): number | undefined {
  return error instanceof HandshakeError ? error.status : undefined;
}

describe("validateExtendedConnect", () => {
  it("rfc8441#section-4 accepts CONNECT with :protocol websocket, :scheme, :path, :authority", () => {
    const info = validateExtendedConnect(request({}, {
      "sec-websocket-protocol": "chat, superchat",
      "sec-websocket-extensions": "permessage-deflate; client_max_window_bits",
      origin: "https://example.com",
    }));
    expect(info).toEqual({
      key: "",
      protocols: ["chat", "superchat"],
      extensions: [{ name: "permessage-deflate", params: [["client_max_window_bits", null]] }],
      host: "example.com",
      origin: "https://example.com",
    });
  });

  it("rfc8441#section-5 needs no Sec-WebSocket-Key, and ignores one a client sends anyway", () => {
    expect(validateExtendedConnect(request({}, { "sec-websocket-key": "nonsense" })).key).toBe("");
  });

  it("rfc8441#section-4 refuses another method with 405 and Allow: CONNECT", () => {
    const error = thrown(() => validateExtendedConnect(request({ method: "GET" })));
    expect(status(error)).toBe(405);
    expect((error as HandshakeError).headers.get("allow")).toBe("CONNECT");
  });

  it("rfc8441#section-4 refuses a CONNECT without :protocol (a tunnel) with 400", () => {
    const error = thrown(() => validateExtendedConnect(request({ protocol: undefined })));
    expect(status(error)).toBe(400);
    expect((error as Error).message).toContain("rfc8441#section-4");
  });

  it("rfc8441#section-5 refuses a :protocol other than websocket with 400; the case does not matter", () => {
    expect(status(thrown(() => validateExtendedConnect(request({ protocol: "h2c" }))))).toBe(400);
    expect(validateExtendedConnect(request({ protocol: "WebSocket" })).host).toBe("example.com");
  });

  it("rfc8441#section-4 refuses a missing or foreign :scheme, and a missing or relative :path, with 400", () => {
    for (
      const overrides of [
        { scheme: undefined },
        { scheme: "ftp" },
        { path: undefined },
        { path: "chat" },
      ]
    ) {
      expect(
        status(thrown(() => validateExtendedConnect(request(overrides)))),
        JSON.stringify(overrides),
      )
        .toBe(400);
    }
  });

  it("rfc8441#section-4 takes Host when :authority is missing, and refuses neither with 400", () => {
    expect(validateExtendedConnect(request({ authority: undefined }, { host: "h.example" })).host)
      .toBe("h.example");
    expect(status(thrown(() => validateExtendedConnect(request({ authority: undefined })))))
      .toBe(400);
  });

  it("rfc6455#section-4.4 refuses a missing or other Sec-WebSocket-Version with 426 naming 13", () => {
    for (const headers of [new Headers(), new Headers({ "sec-websocket-version": "8" })]) {
      const error = thrown(() => validateExtendedConnect({ ...request(), headers }));
      expect(status(error)).toBe(426);
      expect((error as HandshakeError).headers.get("sec-websocket-version")).toBe("13");
    }
  });

  it("rfc6455#section-4.1 refuses a repeated subprotocol or malformed extensions with 400", () => {
    expect(
      status(
        thrown(() =>
          validateExtendedConnect(request({}, { "sec-websocket-protocol": "chat, chat" }))
        ),
      ),
    ).toBe(400);
    expect(
      status(
        thrown(() => validateExtendedConnect(request({}, { "sec-websocket-extensions": "a;;b" }))),
      ),
    ).toBe(400);
  });
});

describe("extendedConnectResponseFields and extendedConnectRefusalFields", () => {
  it("rfc8441#section-5 answers :status 200 with the selections and no sec-websocket-accept", () => {
    expect(extendedConnectResponseFields({
      protocol: "chat",
      extensions: "permessage-deflate; server_no_context_takeover",
      headers: { "Set-Cookie": "a=1" },
    })).toEqual([
      [":status", "200"],
      ["sec-websocket-protocol", "chat"],
      ["sec-websocket-extensions", "permessage-deflate; server_no_context_takeover"],
      ["set-cookie", "a=1"],
    ]);
    expect(extendedConnectResponseFields({})).toEqual([[":status", "200"]]);
  });

  it("rfc9113#section-8.2.2 refuses extra fields that are connection-specific or the handshake's own", () => {
    for (const name of ["connection", "upgrade", "sec-websocket-accept", "content-length"]) {
      expect(thrown(() => extendedConnectResponseFields({ headers: { [name]: "x" } })), name)
        .toBeInstanceOf(TypeError);
    }
    expect(thrown(() => extendedConnectResponseFields({ protocol: "a b" }))).toBeInstanceOf(
      TypeError,
    );
  });

  it("rfc9113#section-8.2.2 a refusal keeps its fields but the connection-specific ones", () => {
    expect(extendedConnectRefusalFields(426, {
      Upgrade: "websocket",
      "Sec-WebSocket-Version": "13",
    })).toEqual([
      [":status", "426"],
      ["content-type", "text/plain; charset=utf-8"],
      ["sec-websocket-version", "13"],
    ]);
  });
});

describe("createExtendedConnect and validateExtendedConnectResponse", () => {
  it("rfc8441#section-4 writes :method CONNECT, :protocol websocket, :scheme, :path, :authority and the version, no key", () => {
    const { fields, expected } = createExtendedConnect({
      url: "wss://example.com:8443/chat?room=1",
      protocols: ["chat"],
      extensions: "permessage-deflate",
      headers: { origin: "https://example.com" },
    });
    expect(fields).toEqual([
      [":method", "CONNECT"],
      [":protocol", "websocket"],
      [":scheme", "https"],
      [":path", "/chat?room=1"],
      [":authority", "example.com:8443"],
      ["sec-websocket-version", "13"],
      ["sec-websocket-protocol", "chat"],
      ["sec-websocket-extensions", "permessage-deflate"],
      ["origin", "https://example.com"],
    ]);
    expect(expected).toEqual({
      key: "",
      protocols: ["chat"],
      extensionsOffered: "permessage-deflate",
    });
    expect(fields.some(([name]) => name === "sec-websocket-key")).toBe(false);
  });

  it("rfc9113#section-8.2.2 refuses extra fields the handshake writes or HTTP/2 forbids", () => {
    for (const name of ["sec-websocket-key", "connection", "upgrade", "host"]) {
      expect(
        thrown(() => createExtendedConnect({ url: "wss://a.example/", headers: { [name]: "x" } })),
        name,
      )
        .toBeInstanceOf(TypeError);
    }
  });

  it("rfc8441#section-5 accepts a 2xx answer and reads the selections", () => {
    const accepted = validateExtendedConnectResponse(
      { status: 200, headers: new Headers({ "sec-websocket-protocol": "chat" }) },
      { key: "", protocols: ["chat"] },
    );
    expect(accepted).toEqual({ protocol: "chat", extensions: "", extensionList: [] });
  });

  it("rfc8441#section-5 fails on any other status, carrying it", () => {
    const error = thrown(() =>
      validateExtendedConnectResponse({ status: 404, headers: new Headers() }, { key: "" })
    );
    expect(status(error)).toBe(404);
    expect((error as Error).message).toContain("rfc8441#section-5");
  });

  it("rfc6455#section-4.1 fails on a subprotocol or extension that was not offered", () => {
    expect(status(thrown(() =>
      validateExtendedConnectResponse(
        { status: 200, headers: new Headers({ "sec-websocket-protocol": "other" }) },
        { key: "", protocols: ["chat"] },
      )
    ))).toBe(200);
    expect(status(thrown(() =>
      validateExtendedConnectResponse(
        { status: 200, headers: new Headers({ "sec-websocket-extensions": "permessage-deflate" }) },
        { key: "" },
      )
    ))).toBe(200);
  });

  it("rfc8441#section-3 ExtendedConnectUnsupportedError is a HandshakeError of status 0", () => {
    const error = new ExtendedConnectUnsupportedError("wss://a.example/");
    expect(error).toBeInstanceOf(HandshakeError);
    expect(error.status).toBe(0);
    expect(error.name).toBe("ExtendedConnectUnsupportedError");
    expect(error.message).toContain("rfc8441#section-3");
  });
});
