// The usual request's href without a URL parse: wherever plainRequestHref gives one, it is what
// new URL serializes (rfc7230#section-5.4); elsewhere it declines and requestUrl parses.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { plainPathname, plainRequestHref } from "../../src/protocol/plain_request_href.ts";

function viaUrl(host: string, target: string): { href: string; pathname: string } | undefined {
  try {
    const url = new URL(`http://${host}${target}`);
    return { href: url.href, pathname: url.pathname };
  } catch {
    return undefined;
  }
}

const TARGET_CHARS = "abcXYZ019-._~!$&()*+,;=:@/%?'\"#<>`{}\\^|[] ";
const HOST_CHARS = "abcxnXYZ0129-.:[]";

describe("plainRequestHref", () => {
  it("gives the usual handshake's href and path", () => {
    expect(plainRequestHref("http:", "127.0.0.1:8080", "/chat?room=1")).toBe(
      "http://127.0.0.1:8080/chat?room=1",
    );
    expect(plainPathname("/chat?room=1")).toBe("/chat");
    expect(plainRequestHref("http:", "localhost", "/")).toBe("http://localhost/");
    expect(plainRequestHref("ws:", "example.com:80", "/a")).toBe("ws://example.com/a");
  });

  it("declines what the URL parser would change", () => {
    for (
      const [host, target] of [
        ["Example.com", "/"], // lower-cased
        ["127.1", "/"], // an IPv4 shorthand
        ["1.2.3.04", "/"], // a leading zero
        ["a.123", "/"], // a number last: an invalid IPv4 address
        ["a.0x1f", "/"],
        ["xn--nxasmq6b.com", "/"], // punycode
        ["a:080", "/"], // a port with a leading zero
        ["a:65536", "/"],
        ["[::1]", "/"],
        ["a", "/./b"], // a dot segment
        ["a", "/%2e%2E/b"],
        ["a", "/a b"],
        ["a", "/a'b"],
        ["a", "/a\\b"],
        ["a", "/a#b"],
        ["a", "*"],
        ["a", "http://a/"],
      ]
    ) {
      expect(plainRequestHref("http:", host!, target!)).toBeUndefined();
    }
  });

  it("agrees with new URL wherever it gives an href", () => {
    const host = fc.oneof(
      fc.string({ unit: fc.constantFrom(...HOST_CHARS), maxLength: 16 }),
      fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300), fc.option(fc.nat(70_000)))
        .map(([a, b, c, d, port]) => `${a}.${b}.${c}.${d}${port === null ? "" : `:${port}`}`),
    );
    const target = fc.string({ unit: fc.constantFrom(...TARGET_CHARS), maxLength: 24 }).map((t) =>
      `/${t}`
    );
    fc.assert(
      fc.property(host, target, (h, t) => {
        const href = plainRequestHref("http:", h, t);
        if (href === undefined) return;
        expect(viaUrl(h, t)).toEqual({ href, pathname: plainPathname(t) });
      }),
      { numRuns: 20_000 },
    );
  });

  it("gives an href for most plain hosts and paths", () => {
    let given = 0;
    for (const host of ["localhost", "example.com", "127.0.0.1:9000", "a-b.c.io:443"]) {
      for (const target of ["/", "/chat", "/rooms/1?x=y&z=%20", "/a:b@c/~d!"]) {
        const href = plainRequestHref("http:", host, target);
        if (href !== undefined) given++;
        expect(href === undefined || href === viaUrl(host, target)!.href).toBe(true);
      }
    }
    expect(given).toBe(16);
  });
});
