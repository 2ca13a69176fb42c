// Which proxy a URL goes through (HTTPS_PROXY / HTTP_PROXY / NO_PROXY as curl reads them), and
// the CONNECT exchange over an in-memory socket.
import { describe, expect, it } from "vitest";
import {
  matchesNoProxy,
  parseProxyUrl,
  ProxyError,
  proxyFromEnv,
  socketProxy,
  type TunnelIo,
} from "../../src/client/proxy.ts";

describe("proxyFromEnv", () => {
  const wss = new URL("wss://example.com/feed");
  const ws = new URL("ws://example.com:8080/feed");

  it("takes HTTPS_PROXY for wss: and HTTP_PROXY for ws:, lower case winning over upper case", () => {
    expect(proxyFromEnv(wss, { HTTPS_PROXY: "http://up:1" })?.host).toBe("up:1");
    expect(proxyFromEnv(wss, { HTTPS_PROXY: "http://up:1", https_proxy: "http://low:2" })?.host)
      .toBe("low:2");
    expect(proxyFromEnv(wss, { HTTP_PROXY: "http://plain:3" })).toBeUndefined();
    expect(proxyFromEnv(ws, { HTTP_PROXY: "http://up:3", http_proxy: "low:4" })?.host).toBe(
      "low:4",
    );
    expect(proxyFromEnv(ws, { HTTPS_PROXY: "http://secure:5" })).toBeUndefined();
    expect(proxyFromEnv(ws, { http_proxy: "", HTTP_PROXY: "http://up:3" })).toBeUndefined();
  });

  it("goes direct when NO_PROXY matches, lower case winning", () => {
    const env = { HTTPS_PROXY: "http://p:1", NO_PROXY: "example.com" };
    expect(proxyFromEnv(wss, env)).toBeUndefined();
    expect(proxyFromEnv(wss, { ...env, no_proxy: "other.org" })?.host).toBe("p:1");
  });
});

describe("matchesNoProxy", () => {
  it("matches *, exact names, suffixes (with or without a leading dot), IPs and optional ports", () => {
    expect(matchesNoProxy("anything.example", 443, "*")).toBe(true);
    expect(matchesNoProxy("example.com", 443, "foo.org, example.com")).toBe(true);
    expect(matchesNoProxy("api.example.com", 443, "example.com")).toBe(true);
    expect(matchesNoProxy("api.example.com", 443, ".example.com")).toBe(true);
    expect(matchesNoProxy("api.example.com", 443, "*.example.com")).toBe(true);
    expect(matchesNoProxy("notexample.com", 443, "example.com")).toBe(false);
    expect(matchesNoProxy("EXAMPLE.com", 443, "example.COM")).toBe(true);
    expect(matchesNoProxy("example.com", 8443, "example.com:8443")).toBe(true);
    expect(matchesNoProxy("example.com", 443, "example.com:8443")).toBe(false);
    expect(matchesNoProxy("127.0.0.1", 80, "localhost,127.0.0.1")).toBe(true);
    expect(matchesNoProxy("::1", 80, "[::1]:80")).toBe(true);
    expect(matchesNoProxy("::1", 81, "[::1]:80")).toBe(false);
    expect(matchesNoProxy("::1", 81, "::1")).toBe(true);
    expect(matchesNoProxy("example.com", 443, " , ")).toBe(false);
  });
});

describe("parseProxyUrl", () => {
  it("takes a URL without scheme as http://, and refuses other schemes", () => {
    expect(parseProxyUrl("proxy.corp:3128").href).toBe("http://proxy.corp:3128/");
    expect(() => parseProxyUrl("https://proxy.corp:3128")).toThrow(TypeError);
    expect(() => parseProxyUrl("socks5://proxy.corp:1080")).toThrow(TypeError);
  });
});

function fakeProxy(answer: string): { io: TunnelIo; written: () => string } {
  let written = "";
  let answered = false;
  return {
    io: {
      write: (bytes) => {
        written += new TextDecoder().decode(bytes);
        return Promise.resolve();
      },
      read: () => {
        if (answered) return Promise.resolve(null);
        answered = true;
        return Promise.resolve(new TextEncoder().encode(answer));
      },
    },
    written: () => written,
  };
}

describe("socketProxy", () => {
  it("rfc9110#section-9.3.6 sends CONNECT host:port with Basic credentials from the userinfo, and opens on 200", async () => {
    const proxy = socketProxy(new URL("http://us%3Aer:p%40ss@127.0.0.1:3128"), "example.com", 443);
    expect([proxy.hostname, proxy.port]).toEqual(["127.0.0.1", 3128]);
    const { io, written } = fakeProxy("HTTP/1.1 200 Connection established\r\n\r\n");
    await proxy.open(io);
    const credentials = btoa("us:er:p@ss");
    expect(written()).toBe(
      `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nProxy-Authorization: Basic ${credentials}\r\n\r\n`,
    );
  });

  it("writes an IPv6 origin in brackets and sends no credentials without userinfo", async () => {
    const proxy = socketProxy(new URL("http://[::1]:8080"), "::1", 9000);
    expect(proxy.hostname).toBe("::1");
    const { io, written } = fakeProxy("HTTP/1.0 200 OK\r\n\r\n");
    await proxy.open(io);
    expect(written()).toBe("CONNECT [::1]:9000 HTTP/1.1\r\nHost: [::1]:9000\r\n\r\n");
  });

  it("rejects with a ProxyError carrying the proxy's status on 407 and 403, without the credentials in the message", async () => {
    for (const status of [407, 403, 502]) {
      const proxy = socketProxy(new URL("http://user:secret@proxy:3128"), "example.com", 443);
      const { io } = fakeProxy(`HTTP/1.1 ${status} No\r\nProxy-Authenticate: Basic\r\n\r\n`);
      const error = await proxy.open(io).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(ProxyError);
      expect(error).toMatchObject({ status });
      expect((error as Error).message).toContain(`answered ${status}`);
      expect((error as Error).message).not.toContain("secret");
    }
  });

  it("rejects with a ProxyError of status 0 when the proxy closes without answering", async () => {
    const proxy = socketProxy(new URL("http://proxy:3128"), "example.com", 443);
    const io: TunnelIo = { write: () => Promise.resolve(), read: () => Promise.resolve(null) };
    await expect(proxy.open(io)).rejects.toMatchObject({ name: "ProxyError", status: 0 });
  });
});
