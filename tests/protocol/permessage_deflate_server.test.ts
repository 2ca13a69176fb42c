// negotiateServer (src/protocol/permessage_deflate_server.ts) as an API: the offers real clients
// send, and offers too large to walk twice. The rules themselves, one by one, are in
// tests/rfc7692/section_7_1_negotiation.test.ts.
import { describe, expect, it } from "vitest";
import { type ExtensionOffer, parseExtensionList } from "../../src/protocol/header_lists.ts";
import {
  type DeflateParams,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
} from "../../src/protocol/permessage_deflate.ts";
import { negotiateServer } from "../../src/protocol/permessage_deflate_server.ts";

const DEFAULTS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function negotiate(header: string, options: PerMessageDeflateOptions = {}) {
  return negotiateServer(parseExtensionList(header), options);
}

describe("negotiateServer with the offers browsers and libraries send", () => {
  it("accepts Chromium's offer `permessage-deflate; client_max_window_bits` with defaults", () => {
    expect(negotiate("permessage-deflate; client_max_window_bits")).toEqual({
      params: DEFAULTS,
      response: "permessage-deflate",
    });
  });

  it("accepts Firefox's offer `permessage-deflate` (no parameters)", () => {
    expect(negotiate("permessage-deflate")).toEqual({
      params: DEFAULTS,
      response: "permessage-deflate",
    });
  });

  it("accepts ws's default offer and shrinks its window when configured to", () => {
    // ws 8 offers exactly what Chromium does.
    const result = negotiate("permessage-deflate; client_max_window_bits", {
      clientMaxWindowBits: 10,
      serverMaxWindowBits: 12,
    });
    expect(result).toEqual({
      params: { ...DEFAULTS, serverMaxWindowBits: 12, clientMaxWindowBits: 10 },
      response: "permessage-deflate; server_max_window_bits=12; client_max_window_bits=10",
    });
  });

  it("skips a legacy x-webkit-deflate-frame offer and takes the permessage-deflate after it", () => {
    expect(negotiate("x-webkit-deflate-frame, permessage-deflate; client_max_window_bits"))
      .toEqual({ params: DEFAULTS, response: "permessage-deflate" });
  });

  it("matches the extension name exactly (the registered name is lower case)", () => {
    expect(negotiate("Permessage-Deflate")).toBeUndefined();
    expect(negotiate("permessage-deflate-x")).toBeUndefined();
  });

  it("returns undefined for no offers at all", () => {
    expect(negotiateServer([], {})).toBeUndefined();
    expect(negotiate("x-foo; a=1, x-bar")).toBeUndefined();
  });

  it("the response is one Sec-WebSocket-Extensions element that parses back", () => {
    const result = negotiate(
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; " +
        "server_max_window_bits=9; client_max_window_bits=8",
    )!;
    expect(parseExtensionList(result.response)).toEqual([{
      name: PERMESSAGE_DEFLATE,
      params: [
        ["server_no_context_takeover", null],
        ["client_no_context_takeover", null],
        ["server_max_window_bits", "9"],
        ["client_max_window_bits", "8"],
      ],
    }]);
  });
});

describe("negotiateServer on huge offers", () => {
  it("a 100 000-parameter offer is declined in one pass", () => {
    const params: [string, string | null][] = [];
    for (let i = 0; i < 100_000; i++) params.push(["server_no_context_takeover", null]);
    expect(negotiateServer([{ name: PERMESSAGE_DEFLATE, params }], {})).toBeUndefined();
    const many: ExtensionOffer[] = [];
    for (let i = 0; i < 100_000; i++) {
      many.push({ name: PERMESSAGE_DEFLATE, params: [["x", null]] });
    }
    many.push({ name: PERMESSAGE_DEFLATE, params: [] });
    expect(negotiateServer(many, {})?.response).toBe("permessage-deflate");
  });
});
