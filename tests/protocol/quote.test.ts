// How untrusted strings go into layer-0 error messages: quoted, short and printable, so a
// hostile header value can neither forge log lines nor flood them.
import { describe, expect, it } from "vitest";
import { quote } from "../../src/protocol/quote.ts";

describe("quote", () => {
  it("quotes printable ASCII as it is", () => {
    expect(quote('a b "c"')).toBe('"a b "c""');
  });

  it("escapes control and non-ASCII characters as \\xNN", () => {
    expect(quote("a\r\nb\x7f\u00e9")).toBe('"a\\x0d\\x0ab\\x7f\\xe9"');
  });

  it("cuts after 64 characters by default, or after the length given", () => {
    expect(quote("a".repeat(64))).toBe(`"${"a".repeat(64)}"`);
    expect(quote("a".repeat(65))).toBe(`"${"a".repeat(64)}\\x2026"`);
    expect(quote("abcdef", 3)).toBe('"abc\\x2026"');
  });
});
