// checkRequestHead holds a head another parser split (node:http's) to the rules of wsflow's own
// byte parser: for each head, both must accept it alike or refuse it with the same status.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { Http1RequestParser } from "../../src/protocol/http1_request_parser.ts";
import type { Limits } from "../../src/protocol/limits.ts";
import { checkRequestHead, type RequestHeadParts } from "../../src/server/parsed_request_head.ts";

function bytesOf(parts: RequestHeadParts): Uint8Array {
  const lines = [`${parts.method} ${parts.target} ${parts.version}`];
  for (const [name, value] of parts.fields) lines.push(`${name}: ${value}`);
  const text = `${lines.join("\r\n")}\r\n\r\n`;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

type Outcome = { ok: true; fields: [string, string][] } | { ok: false; status: number };

function outcome(run: () => { rawHeaders: [string, string][] } | null): Outcome {
  try {
    const head = run();
    if (head === null) throw new Error("incomplete head");
    return { ok: true, fields: head.rawHeaders };
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    return { ok: false, status: error.status };
  }
}

function bothWays(parts: RequestHeadParts, limits?: Partial<Limits>): [Outcome, Outcome] {
  return [
    outcome(() => new Http1RequestParser(limits).push(bytesOf(parts))),
    outcome(() => checkRequestHead(parts, limits)),
  ];
}

const HOST: [string, string] = ["Host", "localhost"];

function head(overrides: Partial<RequestHeadParts> = {}): RequestHeadParts {
  return {
    method: "GET",
    target: "/chat",
    version: "HTTP/1.1",
    fields: [HOST, ["Upgrade", "websocket"]],
    rest: new Uint8Array(0),
    ...overrides,
  };
}

describe("checkRequestHead agrees with Http1RequestParser", () => {
  const cases: [string, RequestHeadParts, Partial<Limits>?][] = [
    ["a valid head", head()],
    ["rfc7230#section-3.1.1 a method that is not a token", head({ method: "G(ET" })],
    ["rfc7230#section-3.1.1 a target with a control byte", head({ target: "/a\x01" })],
    ["rfc7230#section-3.1.1 a malformed version", head({ version: "HTTP/1" })],
    ["rfc7230#section-2.6 HTTP/2.0 (505)", head({ version: "HTTP/2.0" })],
    [
      "rfc7230#section-3.2 a field name that is not a token",
      head({ fields: [HOST, ["A B", "x"]] }),
    ],
    ["rfc7230#section-3.2 a control byte in a value", head({ fields: [HOST, ["X", "a\x00b"]] })],
    ["obs-text in a value", head({ fields: [HOST, ["X", "caf\xe9"]] })],
  ];
  for (let count = 0; count < 4; count++) {
    const fields: [string, string][] = [HOST];
    for (let i = 0; i < count; i++) fields.push([`X-${i}`, "v"]);
    cases.push([`rfc7230#section-3.2.5 ${count + 1} fields, maxHeaderCount 2`, head({ fields }), {
      maxHeaderCount: 2,
    }]);
  }
  // Around every line and head limit: one byte under, at, and over.
  for (const delta of [-1, 0, 1]) {
    cases.push([
      `rfc7230#section-3.2.5 a request line at maxLineBytes ${delta >= 0 ? "+" : ""}${delta}`,
      head({ target: `/${"a".repeat(64 - "GET / HTTP/1.1".length + delta)}` }),
      { maxLineBytes: 64 },
    ]);
    cases.push([
      `rfc7230#section-3.2.5 a field line at maxLineBytes ${delta >= 0 ? "+" : ""}${delta}`,
      head({ fields: [HOST, ["X", "v".repeat(64 - "X: ".length + delta)]] }),
      { maxLineBytes: 64 },
    ]);
    const base = bytesOf(head({ fields: [HOST, ["X", ""]] })).length;
    cases.push([
      `rfc7230#section-3.2.5 a head at maxHeaderBytes ${delta >= 0 ? "+" : ""}${delta}`,
      head({ fields: [HOST, ["X", "v".repeat(100 + delta)]] }),
      { maxHeaderBytes: base + 100, maxLineBytes: 4096 },
    ]);
  }
  for (const [name, parts, limits] of cases) {
    it(name, () => {
      const [bytes, split] = bothWays(parts, limits);
      expect(split).toEqual(bytes);
    });
  }

  it("keeps the fields in order and the rest as given", () => {
    const rest = new Uint8Array([1, 2, 3]);
    const checked = checkRequestHead(head({ rest, fields: [HOST, ["b", "2"], ["A", "1"]] }));
    expect(checked.rawHeaders).toEqual([HOST, ["b", "2"], ["A", "1"]]);
    expect(checked.headers.get("a")).toBe("1");
    expect(checked.rest).toBe(rest);
  });
});
