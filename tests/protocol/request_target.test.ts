// The URL of a request from its request-target and Host field: rfc7230#section-5.3 (target
// forms) and rfc7230#section-5.4 (a server MUST answer 400 to a missing or invalid Host).
// tests/security/handshake_host_and_target.test.ts sends the same cases to a real server.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { requestUrl } from "../../src/protocol/request_target.ts";
import { thrown } from "../_helpers/thrown.ts";

function url(target: string, host: string | null, scheme: "ws:" | "http:" = "ws:"): URL {
  const headers = new Headers(host === null ? {} : { Host: host });
  return requestUrl({ target, headers }, scheme);
}

function refusal(target: string, host: string | null): HandshakeError {
  const error = thrown(() => url(target, host));
  expect(error, `${target} with Host ${host}`).toBeInstanceOf(HandshakeError);
  expect((error as HandshakeError).status).toBe(400);
  return error as HandshakeError;
}

describe("requestUrl", () => {
  it("rfc7230#section-5.3 builds the URL of an origin-form target from Host", () => {
    expect(url("/chat?room=1", "example.com:8080").href).toBe("ws://example.com:8080/chat?room=1");
    expect(url("/", "[::1]:9000", "http:").href).toBe("http://[::1]:9000/");
    expect(url("/a", "Example.COM").host).toBe("example.com");
  });

  it("rfc7230#section-5.3 an origin-form target that starts with // stays a path: the Host is the authority", () => {
    const built = url("//evil.example/x?y=1", "app.example:8080");
    expect(built.host).toBe("app.example:8080");
    expect(built.pathname).toBe("//evil.example/x");
    expect(built.search).toBe("?y=1");
    expect(url("/\\evil.example/x", "app.example").host).toBe("app.example");
  });

  it("rfc7230#section-5.3 keeps the scheme and authority of an absolute-form target", () => {
    expect(url("http://other.example/x", "example.com").href).toBe("http://other.example/x");
    expect(url("WSS://other.example/x", "example.com").href).toBe("wss://other.example/x");
  });

  it("rfc7230#section-5.4 refuses a missing or empty Host with 400", () => {
    expect(refusal("/", null).message).toBe(
      'Cannot accept request: Host "" is not a host and port (rfc7230#section-5.4)',
    );
    refusal("/", "");
  });

  it("rfc7230#section-5.4 refuses a Host that is not exactly a host and port with 400", () => {
    for (const host of ["a b", "[", "a:99999", "a/b", "a?b", "a#b", "u@a", "u:p@a", "a\\b"]) {
      expect(refusal("/", host).message, host).toMatch(/\(rfc7230#section-5\.4\)$/);
    }
  });

  it("rfc7230#section-5.3 refuses the authority-form, the asterisk-form and other schemes", () => {
    for (const target of ["example.com:443", "*", "ftp://a/", "chat"]) {
      expect(refusal(target, "a").message, target).toBe(
        `Cannot accept request: target ${
          JSON.stringify(target)
        } is not a path or an absolute URL (rfc7230#section-5.3)`,
      );
    }
  });

  it("rfc7230#section-5.3 refuses an absolute-form target that is not a valid URL", () => {
    for (const target of ["http://[/", "http://a:99999/"]) {
      expect(refusal(target, "127.0.0.1").message, target).toBe(
        `Cannot accept request: target ${
          JSON.stringify(target)
        } is not a valid URL (rfc7230#section-5.3)`,
      );
    }
  });
  it("rfc7230#section-5.4 an origin-form target and a plain Host parse once to the URL the Host check would give", () => {
    // What the Host check builds: the Host parsed on its own, then the target on its host.
    const checked = (target: string, host: string, scheme: "ws:" | "http:"): string =>
      new URL(`${scheme}//${new URL(`${scheme}//${host}/`).host}${target}`).href;
    const hosts = [
      "EXAMPLE.com:80",
      "example.com:443",
      "127.0.0.1:8080",
      "[::1]:9000",
      "[0:0::1]",
      "0x7f.1",
      "example.com.",
      "a-b.example:1",
      "xn--nxasmq6b.example",
    ];
    const targets = ["/", "/a/../b?x=1#y", "//evil/x", "/%7e/%zz", "/a\\b", "/ünï"];
    for (const scheme of ["ws:", "http:"] as const) {
      for (const host of hosts) {
        for (const target of targets) {
          expect(url(target, host, scheme).href, `${target} on ${host}`).toBe(
            checked(target, host, scheme),
          );
        }
      }
    }
    // A plain-looking Host the URL parser refuses is still refused by the Host check.
    expect(refusal("/", "example.com:99999").message).toContain("Host");
    expect(refusal("/", "[::1").message).toContain("Host");
    expect(refusal("/", ":80").message).toContain("Host");
  });
});
