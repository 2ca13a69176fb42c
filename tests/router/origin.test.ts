import { describe, expect, it } from "vitest";
import { checkOrigin, type OriginOption, OriginPolicy } from "../../src/router/origin.ts";

function upgrade(origin: string | null, host = "example.com", url?: string): Request {
  const headers = new Headers({ host });
  if (origin !== null) headers.set("origin", origin);
  return new Request(url ?? `http://${host}/ws`, { headers });
}

function allowed(origin: string | null, host?: string, option?: OriginOption): boolean {
  return checkOrigin(upgrade(origin, host), option).allowed;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("Expected an error, none was thrown");
}

describe("checkOrigin: same-origin (the default)", () => {
  it("rfc6455#section-10.2: a request without Origin (not a browser) passes", () => {
    expect(allowed(null)).toBe(true);
    expect(allowed(null, "example.com", [])).toBe(true);
  });

  it("rfc6455#section-10.2: an Origin whose host matches Host passes", () => {
    expect(allowed("http://example.com")).toBe(true);
    expect(allowed("https://example.com")).toBe(true);
    expect(allowed("http://localhost:8080", "localhost:8080")).toBe(true);
    expect(allowed("http://127.0.0.1:8080", "127.0.0.1:8080")).toBe(true);
    expect(allowed("http://[::1]:8080", "[::1]:8080")).toBe(true);
  });

  it("rfc6455#section-10.2: a foreign Origin is refused with a reason", () => {
    const check = checkOrigin(upgrade("https://evil.example"));
    expect(check.allowed).toBe(false);
    if (check.allowed) return;
    expect(check.reason).toBe(
      'Cannot upgrade: origin "https://evil.example" does not match host "example.com" ' +
        "(rfc6455#section-10.2)",
    );
    expect(allowed("http://example.com.evil.example")).toBe(false);
    expect(allowed("http://sub.example.com")).toBe(false);
    expect(allowed("http://xample.com")).toBe(false);
    expect(allowed("http://localhost:8081", "localhost:8080")).toBe(false);
    expect(allowed("http://[::1]:8080", "[::2]:8080")).toBe(false);
  });

  it("rfc6455#section-10.2: Origin null is foreign", () => {
    const check = checkOrigin(upgrade("null"));
    expect(check.allowed).toBe(false);
    if (!check.allowed) expect(check.reason).toContain('origin "null" is opaque');
  });

  it("rfc6455#section-10.2: compares scheme and host case-insensitively", () => {
    expect(allowed("HTTP://EXAMPLE.COM")).toBe(true);
    expect(allowed("https://Example.Com", "EXAMPLE.com")).toBe(true);
    expect(allowed("http://localhost:8080", "LocalHost:8080")).toBe(true);
  });

  it("rfc6455#section-10.2: normalizes default ports against a Host without a port", () => {
    expect(allowed("http://example.com:80")).toBe(true);
    expect(allowed("https://example.com:443")).toBe(true);
    expect(allowed("https://example.com", "example.com:443")).toBe(true);
    expect(allowed("http://example.com", "example.com:80")).toBe(true);
    expect(allowed("https://example.com:443", "example.com:443")).toBe(true);
    // a default port of the other scheme is not a default
    expect(allowed("http://example.com:443")).toBe(false);
    expect(allowed("https://example.com:80")).toBe(false);
    expect(allowed("https://example.com", "example.com:80")).toBe(false);
    expect(allowed("http://example.com:8080")).toBe(false);
    expect(allowed("http://example.com", "example.com:8080")).toBe(false);
  });

  it("rfc6455#section-10.2: uses the URL's host when there is no Host header", () => {
    const request = new Request("http://example.com:8080/ws", {
      headers: { origin: "http://example.com:8080" },
    });
    expect(checkOrigin(request).allowed).toBe(true);
    const foreign = new Request("http://example.com:8080/ws", {
      headers: { origin: "http://example.com" },
    });
    expect(checkOrigin(foreign).allowed).toBe(false);
  });

  it("rfc6455#section-10.2: refuses malformed Origin values", () => {
    const malformed = [
      "",
      "example.com",
      "http://",
      "http:/example.com",
      "http://example.com/",
      "http://example.com/path",
      "http://example.com:",
      "http://example.com:99999",
      "http://example.com:123456",
      "http://example.com:8a",
      "http://user@example.com",
      "http://example.com?x",
      "http://exa mple.com",
      "http://[::1",
      "1http://example.com",
      "http://example.com, http://example.com",
      "Null",
    ];
    const reasons = malformed.map((origin) => {
      const check = checkOrigin(upgrade(origin));
      return check.allowed ? `${origin}: allowed` : check.reason;
    });
    expect(reasons.filter((reason) => !reason.includes("is malformed"))).toEqual([]);
  });

  it("rfc6455#section-10.2: refuses non-web schemes even on the same host", () => {
    expect(allowed("ftp://example.com")).toBe(false);
    expect(allowed("chrome-extension://example.com")).toBe(false);
  });

  it("rfc6455#section-10.2: refuses an Origin when Host is unreadable", () => {
    const url = "http://example.com/ws";
    for (const host of ["example.com:x", "[::1", "example.com:", "", "a/b"]) {
      expect(checkOrigin(upgrade("http://example.com", host, url)).allowed).toBe(false);
    }
  });

  it("refuses two Origin field lines (they combine into a malformed value)", () => {
    const headers = new Headers({ host: "example.com" });
    headers.append("origin", "http://example.com");
    headers.append("origin", "http://example.com");
    expect(checkOrigin(new Request("http://example.com/", { headers })).allowed).toBe(false);
  });

  it("keeps the reason short for a huge Origin", () => {
    const check = checkOrigin(upgrade("http://" + "a".repeat(10_000) + ".com"));
    expect(check.allowed).toBe(false);
    if (!check.allowed) expect(check.reason.length).toBeLessThan(300);
  });

  it('behaves the same with "same-origin" spelled out', () => {
    expect(allowed("https://evil.example", "example.com", "same-origin")).toBe(false);
    expect(allowed("https://example.com", "example.com", "same-origin")).toBe(true);
  });
});

describe('checkOrigin: "*"', () => {
  it("rfc6455#section-10.2: allows every origin, null and malformed included", () => {
    for (const origin of ["https://evil.example", "null", "garbage", "", null]) {
      expect(allowed(origin, "example.com", "*")).toBe(true);
    }
  });
});

describe("checkOrigin: allow-list", () => {
  const list = ["https://app.example.com", "http://localhost:5173", "https://*.example.org"];

  it("rfc6455#section-10.2: allows exactly the listed origins", () => {
    expect(allowed("https://app.example.com", "api.example.com", list)).toBe(true);
    expect(allowed("http://localhost:5173", "api.example.com", list)).toBe(true);
    expect(allowed("http://app.example.com", "api.example.com", list)).toBe(false);
    expect(allowed("https://app.example.com:8443", "api.example.com", list)).toBe(false);
    expect(allowed("http://localhost:5174", "api.example.com", list)).toBe(false);
    const check = checkOrigin(upgrade("https://evil.example", "api.example.com"), list);
    expect(check.allowed).toBe(false);
    if (!check.allowed) {
      expect(check.reason).toBe(
        'Cannot upgrade: origin "https://evil.example" is not in the allowed list ' +
          "(rfc6455#section-10.2)",
      );
    }
  });

  it("rfc6455#section-10.2: the request's own host is not implied by a list", () => {
    expect(allowed("https://api.example.com", "api.example.com", list)).toBe(false);
    expect(allowed(null, "api.example.com", list)).toBe(true);
  });

  it("rfc6455#section-10.2: list entries and origins compare case-insensitively with default ports", () => {
    expect(allowed("HTTPS://APP.EXAMPLE.COM", "x", list)).toBe(true);
    expect(allowed("https://app.example.com:443", "x", list)).toBe(true);
    expect(allowed("https://app.example.com", "x", ["HTTPS://App.Example.Com:443"])).toBe(true);
  });

  it("rfc6455#section-10.2: a wildcard stands for exactly one leading label", () => {
    expect(allowed("https://a.example.org", "x", list)).toBe(true);
    expect(allowed("https://A-1.Example.ORG", "x", list)).toBe(true);
    expect(allowed("https://a.example.org:443", "x", list)).toBe(true);
    expect(allowed("https://example.org", "x", list)).toBe(false);
    expect(allowed("https://a.b.example.org", "x", list)).toBe(false);
    expect(allowed("https://.example.org", "x", list)).toBe(false);
    expect(allowed("https://aexample.org", "x", list)).toBe(false);
    expect(allowed("https://a.example.org.evil", "x", list)).toBe(false);
    expect(allowed("http://a.example.org", "x", list)).toBe(false);
    expect(allowed("https://a.example.org:8443", "x", list)).toBe(false);
    expect(allowed("https://a.example.org:8443", "x", ["https://*.example.org:8443"])).toBe(true);
  });

  it("rfc6455#section-10.2: Origin null passes only when listed", () => {
    expect(allowed("null", "x", list)).toBe(false);
    expect(allowed("null", "x", [...list, "null"])).toBe(true);
  });

  it("rfc6455#section-10.2: an empty list refuses every browser", () => {
    expect(allowed("https://example.com", "example.com", [])).toBe(false);
  });
});

describe("OriginPolicy", () => {
  it("refuses malformed options with a TypeError", () => {
    const bad: unknown[] = [
      "all",
      ["*"],
      ["app.example.com"],
      ["https://app.example.com/"],
      ["https://app.example.com/path"],
      ["https://*.com"],
      ["https://a.*.example.com"],
      ["https://*.*.example.com"],
      ["https://*example.com"],
      ["https://*.[::1]"],
      ["https://app.example.com:0x50"],
    ];
    const accepted = bad.filter((option) => {
      try {
        return new OriginPolicy(option as OriginOption) !== undefined;
      } catch (error) {
        return !(error instanceof TypeError);
      }
    });
    expect(accepted).toEqual([]);
    expect(thrown(() => checkOrigin(upgrade(null), ["*"]))).toBeInstanceOf(TypeError);
  });

  it("compiles once and checks many requests", () => {
    const policy = new OriginPolicy(["https://*.example.com"]);
    expect(policy.option).toEqual(["https://*.example.com"]);
    expect(policy.check(upgrade("https://a.example.com")).allowed).toBe(true);
    expect(policy.check(upgrade("https://b.example.com")).allowed).toBe(true);
    expect(policy.check(upgrade("https://example.com")).allowed).toBe(false);
    expect(new OriginPolicy().option).toBe("same-origin");
  });
});
