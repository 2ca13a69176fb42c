// The checks WebSocket and WebSocketStream share (src/client/web_api.ts), called directly: the
// DOMException each failure becomes, the close code and reason rules, and that toMessage copies.
// The classes' own tests (websocket.test.ts, websocket_stream.test.ts) check them end to end.
import { describe, expect, it } from "vitest";
import { MAX_CLOSE_REASON_BYTES } from "../../src/protocol/close_payload.ts";
import {
  checkCloseArguments,
  checkProtocols,
  parseUrl,
  toMessage,
} from "../../src/client/web_api.ts";
import { thrown } from "../_helpers/thrown.ts";

function domError(action: () => unknown): DOMException {
  const error = thrown(action);
  expect(error).toBeInstanceOf(DOMException);
  return error as DOMException;
}

describe("parseUrl", () => {
  it("parses as layer 0 does: http: and https: become ws: and wss:", () => {
    expect(parseUrl("ws://example.com/chat?room=1").href).toBe("ws://example.com/chat?room=1");
    expect(parseUrl("https://example.com/chat").href).toBe("wss://example.com/chat");
    expect(parseUrl(new URL("http://[::1]:8080/")).href).toBe("ws://[::1]:8080/");
  });

  it("rfc6455#section-3 throws layer 0's SyntaxError as a DOMException named SyntaxError", () => {
    for (const url of ["/relative", "not a url", "ftp://example.com/", "ws://a/#", "ws://a/#x"]) {
      const error = domError(() => parseUrl(url));
      expect(error.name, url).toBe("SyntaxError");
      expect(error.message, url).not.toBe("");
    }
  });
});

describe("checkProtocols", () => {
  it("accepts tokens, and names that differ only in case (compared exactly)", () => {
    checkProtocols([]);
    checkProtocols(["chat", "superchat", "v2.json"]);
    checkProtocols(["chat", "Chat"]);
  });

  it("rfc6455#section-4.1 throws a DOMException SyntaxError for a subprotocol that is not a non-empty token", () => {
    for (const protocol of ["", "a b", "a,b", "(a)", '"a"', "caf\u00e9", "a\tb"]) {
      const error = domError(() => checkProtocols([protocol]));
      expect(error.name, JSON.stringify(protocol)).toBe("SyntaxError");
      expect(error.message).toContain("rfc6455#section-4.1");
    }
  });

  it("rfc6455#section-4.1 throws a DOMException SyntaxError for a subprotocol offered twice", () => {
    const error = domError(() => checkProtocols(["chat", "v2", "chat"]));
    expect(error.name).toBe("SyntaxError");
    expect(error.message).toContain('"chat" twice');
  });
});

describe("checkCloseArguments", () => {
  it("accepts no arguments, 1000, and 3000-4999", () => {
    for (const code of [undefined, 1000, 3000, 3999, 4000, 4999]) {
      checkCloseArguments(code, undefined);
    }
    checkCloseArguments(undefined, "a reason without a code");
  });

  it("throws InvalidAccessError for any other code, the protocol's own included", () => {
    for (const code of [0, 999, 1001, 1005, 1006, 1011, 1015, 2999, 5000]) {
      expect(domError(() => checkCloseArguments(code, undefined)).name, String(code)).toBe(
        "InvalidAccessError",
      );
    }
  });

  it("rfc6455#section-5.5 takes a reason of up to MAX_CLOSE_REASON_BYTES bytes of UTF-8 and throws SyntaxError for one more", () => {
    expect(MAX_CLOSE_REASON_BYTES).toBe(123);
    checkCloseArguments(1000, "x".repeat(123));
    checkCloseArguments(1000, "\u00e9".repeat(61)); // 122 bytes
    expect(domError(() => checkCloseArguments(1000, "x".repeat(124))).name).toBe("SyntaxError");
    // 62 two-byte characters: 62 UTF-16 units, but 124 bytes on the wire.
    const error = domError(() => checkCloseArguments(1000, "\u00e9".repeat(62)));
    expect(error.name).toBe("SyntaxError");
    expect(error.message).toContain("123 bytes");
    // A lone surrogate is sent as U+FFFD, 3 bytes: 41 of them are 123, 42 are too many.
    checkCloseArguments(4000, "\ud800".repeat(41));
    expect(domError(() => checkCloseArguments(4000, "\ud800".repeat(42))).name).toBe(
      "SyntaxError",
    );
  });

  it("checks the code before the reason", () => {
    expect(domError(() => checkCloseArguments(1001, "x".repeat(200))).name).toBe(
      "InvalidAccessError",
    );
  });
});

describe("toMessage", () => {
  it("keeps text as text", () => {
    expect(toMessage("hello")).toBe("hello");
  });

  it("copies a view's bytes, only its window, so the caller may reuse the buffer", () => {
    const source = new Uint8Array([1, 2, 3, 4]);
    const message = toMessage(source.subarray(1, 3)) as Uint8Array;
    source.fill(9);
    expect([...message]).toEqual([2, 3]);
    expect(message.byteOffset).toBe(0);
    expect(message.buffer.byteLength).toBe(2);
    const words = new Uint16Array([0x0102]);
    expect((toMessage(new DataView(words.buffer)) as Uint8Array).length).toBe(2);
  });

  it("copies an ArrayBuffer", () => {
    const buffer = new Uint8Array([5, 6]).buffer;
    const message = toMessage(buffer) as Uint8Array;
    new Uint8Array(buffer).fill(0);
    expect([...message]).toEqual([5, 6]);
  });
});
