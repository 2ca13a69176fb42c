import { describe, expect, it } from "vitest";
import {
  type ExtensionOffer,
  formatExtensionList,
  isToken,
  isTokenChar,
  parseExtensionList,
  parseTokenList,
  parseUpgradeList,
} from "../../src/protocol/header_lists.ts";
import { thrown } from "../_helpers/thrown.ts";

const KIB_64 = 64 * 1024;

describe("isToken", () => {
  it("rfc7230#section-3.2.6 accepts tchars and refuses separators, controls and non-ASCII", () => {
    expect(isToken("chat")).toBe(true);
    expect(isToken("!#$%&'*+-.^_`|~09AZaz")).toBe(true);
    for (const separator of '()<>@,;:\\"/[]?={} \t') {
      expect(isToken(`a${separator}b`)).toBe(false);
    }
    expect(isToken("")).toBe(false);
    expect(isToken("a\x00")).toBe(false);
    expect(isToken("a\x7f")).toBe(false);
    expect(isToken("caf\u00e9")).toBe(false);
  });

  it("isTokenChar agrees with isToken for every code up to 0x100", () => {
    for (let code = 0; code <= 0x100; code++) {
      expect(isTokenChar(code)).toBe(isToken(String.fromCharCode(code)));
    }
  });
});

describe("parseTokenList", () => {
  it("rfc7230#section-7 splits on commas with optional whitespace", () => {
    expect(parseTokenList("keep-alive, Upgrade")).toEqual(["keep-alive", "Upgrade"]);
    expect(parseTokenList("a,b\t,\t c")).toEqual(["a", "b", "c"]);
  });

  it("rfc7230#section-7 skips empty list elements", () => {
    expect(parseTokenList("")).toEqual([]);
    expect(parseTokenList(" , ,, ")).toEqual([]);
    expect(parseTokenList(", a ,, b ,")).toEqual(["a", "b"]);
  });

  it("keeps the case and order of tokens as written", () => {
    expect(parseTokenList("UpGrade, close")).toEqual(["UpGrade", "close"]);
  });

  it("rfc7230#section-7 refuses elements that are not tokens", () => {
    for (const value of ["a b", "a;b", '"a"', "a, b/c", "a\x00", "caf\u00e9", "@"]) {
      const error = thrown(() => parseTokenList(value));
      expect(error).toBeInstanceOf(SyntaxError);
      expect((error as Error).message).toMatch(
        /^Cannot parse header list: .*\(rfc7230#section-7\)$/,
      );
    }
  });

  it("reads several field lines combined with a comma as one list", () => {
    const headers = new Headers([["Connection", "keep-alive"], ["Connection", "Upgrade"]]);
    expect(parseTokenList(headers.get("connection")!)).toEqual(["keep-alive", "Upgrade"]);
  });
});

describe("parseUpgradeList", () => {
  it("rfc7230#section-6.7 reads protocol names with optional versions", () => {
    expect(parseUpgradeList("websocket")).toEqual(["websocket"]);
    expect(parseUpgradeList("HTTP/2.0, SHTTP/1.3, IRC/6.9, RTA/x11")).toEqual([
      "HTTP/2.0",
      "SHTTP/1.3",
      "IRC/6.9",
      "RTA/x11",
    ]);
  });

  it("rfc7230#section-6.7 refuses a slash without a name or a version", () => {
    for (const value of ["/1", "a/", "a/b/c", "a /b", "web socket"]) {
      expect(thrown(() => parseUpgradeList(value))).toBeInstanceOf(SyntaxError);
    }
  });
});

describe("parseExtensionList", () => {
  it("rfc6455#section-9.1 reads extensions with and without parameters", () => {
    expect(parseExtensionList("foo")).toEqual([{ name: "foo", params: [] }]);
    expect(parseExtensionList("bar; baz=2")).toEqual([{ name: "bar", params: [["baz", "2"]] }]);
    expect(
      parseExtensionList("permessage-deflate; client_max_window_bits; server_no_context_takeover"),
    ).toEqual([{
      name: "permessage-deflate",
      params: [["client_max_window_bits", null], ["server_no_context_takeover", null]],
    }]);
  });

  it("rfc6455#section-9.1 reads a list of offers in order", () => {
    const offers = parseExtensionList(
      "permessage-deflate; client_max_window_bits=10, permessage-deflate, x-webkit-deflate-frame",
    );
    expect(offers.map((offer) => offer.name)).toEqual([
      "permessage-deflate",
      "permessage-deflate",
      "x-webkit-deflate-frame",
    ]);
    expect(offers[0]!.params).toEqual([["client_max_window_bits", "10"]]);
  });

  it("allows whitespace around commas, semicolons and equals signs", () => {
    expect(parseExtensionList(" a ;b = 1\t;\tc , d ")).toEqual([
      { name: "a", params: [["b", "1"], ["c", null]] },
      { name: "d", params: [] },
    ]);
  });

  it("rfc6455#section-9.1 unescapes quoted values", () => {
    expect(parseExtensionList('a; b="10"')[0]!.params).toEqual([["b", "10"]]);
    expect(parseExtensionList('a; b="1\\0"')[0]!.params).toEqual([["b", "10"]]);
    expect(parseExtensionList('a; b="x", c')[1]!.name).toBe("c");
  });

  it("rfc6455#section-9.1 refuses a quoted value that is not a token once unescaped", () => {
    for (const value of ['a; b="1 0"', 'a; b=""', 'a; b="x,y"', 'a; b="\\""']) {
      const error = thrown(() => parseExtensionList(value));
      expect(error).toBeInstanceOf(SyntaxError);
      expect((error as Error).message).toMatch(/\(rfc6455#section-9\.1\)$/);
    }
  });

  it("rfc7230#section-3.2.6 refuses unclosed quotes and bad escapes", () => {
    for (const value of ['a; b="10', 'a; b="\\', 'a; b="\x01"', 'a; b="\\\x7f"']) {
      expect(thrown(() => parseExtensionList(value))).toBeInstanceOf(SyntaxError);
    }
  });

  it("refuses malformed offers", () => {
    for (
      const value of [
        ";a",
        "a;",
        "a; =1",
        "a; b=",
        "a; b=1 2",
        "a b",
        "a; b==1",
        "a; b=1; c=@",
        '"a"',
        "a, @",
      ]
    ) {
      expect(thrown(() => parseExtensionList(value)), value).toBeInstanceOf(SyntaxError);
    }
  });

  it("keeps repeated parameters, so a negotiation can refuse them (rfc7692#section-5)", () => {
    expect(parseExtensionList("a; b=1; b=2")[0]!.params).toEqual([["b", "1"], ["b", "2"]]);
  });

  it("treats __proto__, constructor and toString as ordinary parameter names", () => {
    const [offer] = parseExtensionList(
      "x; __proto__=1; constructor; toString=2; hasOwnProperty; prototype=3",
    );
    expect(offer!.params).toEqual([
      ["__proto__", "1"],
      ["constructor", null],
      ["toString", "2"],
      ["hasOwnProperty", null],
      ["prototype", "3"],
    ]);
    const params = new Map(offer!.params);
    expect(params.get("__proto__")).toBe("1");
    expect(params.get("constructor")).toBe(null);
    expect(params.get("valueOf")).toBeUndefined();
    expect(Object.getPrototypeOf(offer)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)["1"]).toBeUndefined();
    const [named] = parseExtensionList("__proto__; constructor=toString");
    expect(named!.name).toBe("__proto__");
    expect(named!.params).toEqual([["constructor", "toString"]]);
  });

  it("reads several field lines combined with a comma as one list", () => {
    const headers = new Headers([
      ["Sec-WebSocket-Extensions", "foo; x=1"],
      ["Sec-WebSocket-Extensions", "bar"],
    ]);
    expect(parseExtensionList(headers.get("sec-websocket-extensions")!).map((o) => o.name))
      .toEqual(["foo", "bar"]);
  });
});

describe("formatExtensionList", () => {
  it("is the inverse of parseExtensionList", () => {
    const offers: ExtensionOffer[] = [
      { name: "permessage-deflate", params: [["client_max_window_bits", null], ["x", "10"]] },
      { name: "foo", params: [] },
    ];
    const value = formatExtensionList(offers);
    expect(value).toBe("permessage-deflate; client_max_window_bits; x=10, foo");
    expect(parseExtensionList(value)).toEqual(offers);
    expect(formatExtensionList([])).toBe("");
  });

  it("refuses names and values that are not tokens", () => {
    expect(thrown(() => formatExtensionList([{ name: "a b", params: [] }]))).toBeInstanceOf(
      TypeError,
    );
    expect(thrown(() => formatExtensionList([{ name: "a", params: [["b\r\n", null]] }])))
      .toBeInstanceOf(TypeError);
    expect(thrown(() => formatExtensionList([{ name: "a", params: [["b", "1\r\nX: y"]] }])))
      .toBeInstanceOf(TypeError);
  });
});

describe("hostile list values", () => {
  // A backtracking or rescanning parser takes seconds to minutes on these; a linear one takes
  // well under a millisecond per 64 KiB. The suite's timeout is the bound, not a timer.
  const inputs: [string, string][] = [
    ["spaces", " ".repeat(KIB_64)],
    ["commas", ",".repeat(KIB_64)],
    ["comma-space", ", ".repeat(KIB_64 / 2)],
    ["backslashes", "\\".repeat(KIB_64)],
    ["tokens then a bad byte", "a,".repeat(KIB_64 / 2) + "@"],
    ["one long token then a space", "a".repeat(KIB_64) + " b"],
    ["semicolons", "a" + ";".repeat(KIB_64)],
    ["parameters", "a" + "; b".repeat(KIB_64 / 3)],
    ["an unclosed quote of backslashes", 'a; b="' + "\\\\".repeat(KIB_64 / 2)],
    ["an unclosed quote of quoted quotes", 'a; b="' + '\\"'.repeat(KIB_64 / 2)],
    ["quoted values", 'a; b="1"'.repeat(KIB_64 / 8)],
    ["equals signs", "a; b" + "=".repeat(KIB_64)],
  ];

  for (const [name, value] of inputs) {
    it(`parses or refuses 64 KiB of ${name} in one pass`, () => {
      for (const parse of [parseTokenList, parseUpgradeList, parseExtensionList]) {
        try {
          parse(value);
        } catch (error) {
          expect(error).toBeInstanceOf(SyntaxError);
        }
      }
    });
  }

  it("parses 16 Ki offers of 4 parameters each", () => {
    const value = Array.from({ length: 16 * 1024 }, (_, i) => `e${i}; a; b=1; c="2"; d=x`)
      .join(", ");
    const offers = parseExtensionList(value);
    expect(offers.length).toBe(16 * 1024);
    expect(offers[16 * 1024 - 1]!.params.length).toBe(4);
  });
});
