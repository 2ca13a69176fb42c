// The one parser of the URL a client connects to (rfc6455#section-3), used by the client
// handshake, connectWith and (wrapped in DOMException) the WebSocket API classes.
import { describe, expect, it } from "vitest";
import { parseWebSocketUrl } from "../../src/protocol/websocket_url.ts";
import { thrown } from "../_helpers/thrown.ts";

describe("parseWebSocketUrl", () => {
  it("rfc6455#section-3 keeps ws: and wss: URLs, host, port, path and query", () => {
    expect(parseWebSocketUrl("ws://example.com/chat?room=1").href)
      .toBe("ws://example.com/chat?room=1");
    expect(parseWebSocketUrl(new URL("wss://[::1]:9443/")).href).toBe("wss://[::1]:9443/");
  });

  it("takes http: and https: as ws: and wss:, default ports included", () => {
    expect(parseWebSocketUrl("http://example.com:8080/a").href).toBe("ws://example.com:8080/a");
    expect(parseWebSocketUrl("https://example.com/a").href).toBe("wss://example.com/a");
    expect(parseWebSocketUrl("https://example.com:443/").port).toBe("");
    expect(parseWebSocketUrl("http://example.com:443/").port).toBe("443");
  });

  it("returns a new URL, leaving the caller's unchanged", () => {
    const input = new URL("http://example.com/");
    expect(parseWebSocketUrl(input)).not.toBe(input);
    expect(input.protocol).toBe("http:");
  });

  it("rfc6455#section-3 refuses invalid URLs and other schemes with SyntaxError", () => {
    for (
      const url of ["not a url", "/relative", "ftp://a/", "mailto:a@b", "data:,x", "file:///x"]
    ) {
      expect(thrown(() => parseWebSocketUrl(url)), url).toBeInstanceOf(SyntaxError);
    }
  });

  it("rfc6455#section-3 refuses a fragment, even an empty one", () => {
    for (const url of ["ws://a/#", "ws://a/chat#room", "https://a/#x"]) {
      const error = thrown(() => parseWebSocketUrl(url)) as SyntaxError;
      expect(error, url).toBeInstanceOf(SyntaxError);
      expect(error.message, url).toMatch(/have no fragment \(rfc6455#section-3\)$/);
    }
  });

  it("quotes the URL in messages with control characters escaped", () => {
    const error = thrown(() => parseWebSocketUrl("ftp://a/\u0001x")) as SyntaxError;
    expect(error.message).toBe(
      'Cannot connect to "ftp://a/%01x": scheme ftp: is not ws: or wss: (rfc6455#section-3)',
    );
    expect((thrown(() => parseWebSocketUrl("a\nb")) as SyntaxError).message).toBe(
      'Cannot connect to "a\\x0ab": not a valid URL (rfc6455#section-3)',
    );
  });
});
