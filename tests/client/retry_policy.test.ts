// The retry policy by cause (../shared/CLIENT-CONTRACT.md section 1) and Retry-After.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { ProxyError } from "../../src/client/proxy.ts";
import { causeOfError, retryAfterDelay, shouldReconnect } from "../../src/client/retry_policy.ts";

const close = (code: number) => ({ kind: "close" as const, code, reason: "" });
const handshake = (status: number) => causeOfError(new HandshakeError("refused", status));

describe("shouldReconnect", () => {
  it("rfc6455#section-7.4.1 reconnects after 1001, 1006, 1011, 1012, 1013 and 1014", () => {
    for (const code of [1001, 1006, 1011, 1012, 1013, 1014]) {
      expect(shouldReconnect(close(code)), `${code}`).toBe(true);
    }
  });

  it("rfc6455#section-7.4.1 gives up after 1000, 1002, 1003, 1005, 1007, 1008, 1009, 1010 and application codes", () => {
    for (const code of [1000, 1002, 1003, 1005, 1007, 1008, 1009, 1010, 3000, 4000, 4999]) {
      expect(shouldReconnect(close(code)), `${code}`).toBe(false);
    }
  });

  it("reconnects after a handshake answered 429, 500, 502, 503 or 504, and gives up after other statuses", () => {
    for (const status of [429, 500, 502, 503, 504]) {
      expect(shouldReconnect(handshake(status)), `${status}`).toBe(true);
    }
    for (const status of [200, 301, 400, 401, 403, 404, 407, 426, 501, 505]) {
      expect(shouldReconnect(handshake(status)), `${status}`).toBe(false);
    }
  });

  it("reconnects after a socket that could not be opened (status 0), a proxy down included, and gives up on other errors", () => {
    expect(shouldReconnect(causeOfError(new HandshakeError("refused", 0)))).toBe(true);
    expect(shouldReconnect(causeOfError(new ProxyError("proxy down", 0)))).toBe(true);
    expect(shouldReconnect(causeOfError(new ProxyError("407", 407)))).toBe(false);
    expect(shouldReconnect(causeOfError(new ProxyError("403", 403)))).toBe(false);
    expect(shouldReconnect(causeOfError(new SyntaxError("bad URL")))).toBe(false);
  });
});

describe("retryAfterDelay", () => {
  it("rfc9110#section-10.2.3 reads delay-seconds and HTTP-dates, and ignores what is neither", () => {
    const now = Date.parse("Wed, 21 Oct 2015 07:28:00 GMT");
    const of = (value: string) => retryAfterDelay(new Headers({ "retry-after": value }), now);
    expect(of("0")).toBe(0);
    expect(of("120")).toBe(120_000);
    expect(of("Wed, 21 Oct 2015 07:28:30 GMT")).toBe(30_000);
    expect(of("Wed, 21 Oct 2015 07:27:00 GMT")).toBe(0);
    expect(of("soon")).toBeUndefined();
    expect(of("-5")).toBeUndefined();
    expect(retryAfterDelay(new Headers(), now)).toBeUndefined();
  });
});
