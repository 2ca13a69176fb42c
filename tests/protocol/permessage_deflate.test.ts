// permessage-deflate negotiation as an API: the offers real clients send, options, hostile
// parameter names, and properties over random offers. The rules themselves, one by one, are in
// tests/rfc7692/section_7_1_negotiation.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { type ExtensionOffer, parseExtensionList } from "../../src/protocol/header_lists.ts";
import {
  acceptServerResponse,
  buildClientOffer,
  DEFAULT_DEFLATE_THRESHOLD,
  type DeflateParams,
  negotiateServer,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
} from "../../src/protocol/permessage_deflate.ts";
import { thrown } from "../_helpers/thrown.ts";

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

describe("hostile parameter names are plain unknown names", () => {
  const names = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "prototype"];

  for (const name of names) {
    it(`rfc7692#section-5 a server declines an offer with parameter ${name}`, () => {
      expect(negotiate(`permessage-deflate; ${name}`)).toBeUndefined();
      expect(negotiate(`permessage-deflate; ${name}=1`)).toBeUndefined();
      // ... and still accepts the next, clean offer
      expect(negotiate(`permessage-deflate; ${name}=15, permessage-deflate`)?.response)
        .toBe("permessage-deflate");
    });

    it(`rfc7692#section-5 a client fails on a response with parameter ${name}`, () => {
      const error = thrown(() =>
        acceptServerResponse(parseExtensionList(`permessage-deflate; ${name}`), {})
      );
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).message).toContain(`"${name}"`);
    });
  }

  it("leaves Object.prototype untouched", () => {
    negotiate("permessage-deflate; __proto__=polluted; constructor=x; toString");
    thrown(() => acceptServerResponse(parseExtensionList("permessage-deflate; __proto__=x"), {}));
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
    expect(typeof ({}).toString).toBe("function");
  });
});

describe("options", () => {
  const bad: [string, PerMessageDeflateOptions][] = [
    ["serverMaxWindowBits 7", { serverMaxWindowBits: 7 }],
    ["serverMaxWindowBits 16", { serverMaxWindowBits: 16 }],
    ["serverMaxWindowBits 9.5", { serverMaxWindowBits: 9.5 }],
    ["clientMaxWindowBits NaN", { clientMaxWindowBits: Number.NaN }],
    ["clientMaxWindowBits 0", { clientMaxWindowBits: 0 }],
    ["threshold -1", { threshold: -1 }],
    ["threshold 1.5", { threshold: 1.5 }],
  ];
  for (const [label, options] of bad) {
    it(`every function refuses ${label} with a RangeError`, () => {
      expect(thrown(() => negotiate("permessage-deflate", options))).toBeInstanceOf(RangeError);
      expect(thrown(() => buildClientOffer(options))).toBeInstanceOf(RangeError);
      expect(thrown(() => acceptServerResponse(parseExtensionList("permessage-deflate"), options)))
        .toBeInstanceOf(RangeError);
    });
  }

  it("every window from 8 to 15 is a valid option", () => {
    for (let bits = 8; bits <= 15; bits++) {
      expect(buildClientOffer({ serverMaxWindowBits: bits, clientMaxWindowBits: bits })).toBe(
        `permessage-deflate; server_max_window_bits=${bits}; client_max_window_bits=${bits}`,
      );
    }
  });

  it("the threshold defaults to 1024 bytes, like ws", () => {
    expect(DEFAULT_DEFLATE_THRESHOLD).toBe(1024);
    expect(buildClientOffer({ threshold: 0 })).toBe("permessage-deflate; client_max_window_bits");
  });
});

describe("buildClientOffer", () => {
  it("offers what Chromium and ws offer by default", () => {
    expect(buildClientOffer({})).toBe("permessage-deflate; client_max_window_bits");
  });

  it("offers every parameter that was asked for, in a fixed order", () => {
    expect(
      buildClientOffer({
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
        serverMaxWindowBits: 10,
        clientMaxWindowBits: 11,
      }),
    ).toBe(
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; " +
        "server_max_window_bits=10; client_max_window_bits=11",
    );
  });

  it("false takeover options are the same as absent ones", () => {
    expect(buildClientOffer({ serverNoContextTakeover: false, clientNoContextTakeover: false }))
      .toBe("permessage-deflate; client_max_window_bits");
  });
});

// -------------------------------------------------------------------------------------------
// Properties

const PARAM_NAMES = [
  "server_no_context_takeover",
  "client_no_context_takeover",
  "server_max_window_bits",
  "client_max_window_bits",
  "__proto__",
  "constructor",
  "toString",
  "x",
];
const PARAM_VALUES = [null, "", "7", "8", "9", "10", "15", "16", "08", "+9", "1e1", "abc", " 9"];

const paramArbitrary = fc.tuple(
  fc.oneof(fc.constantFrom(...PARAM_NAMES), fc.string({ maxLength: 12 })),
  fc.oneof(fc.constantFrom(...PARAM_VALUES), fc.string({ maxLength: 6 })),
);
const offerArbitrary: fc.Arbitrary<ExtensionOffer> = fc.record({
  name: fc.constantFrom(PERMESSAGE_DEFLATE, "x-other", "Permessage-Deflate"),
  params: fc.array(paramArbitrary, { maxLength: 6 }),
});
const bitsArbitrary = fc.option(fc.integer({ min: 8, max: 15 }), { nil: undefined });
const optionsArbitrary: fc.Arbitrary<PerMessageDeflateOptions> = fc.record({
  serverNoContextTakeover: fc.boolean(),
  clientNoContextTakeover: fc.boolean(),
  serverMaxWindowBits: bitsArbitrary,
  clientMaxWindowBits: bitsArbitrary,
}).map((options) => {
  // exactOptionalPropertyTypes: drop the undefined fields instead of setting them
  const out: PerMessageDeflateOptions = {
    serverNoContextTakeover: options.serverNoContextTakeover,
    clientNoContextTakeover: options.clientNoContextTakeover,
  };
  if (options.serverMaxWindowBits !== undefined) {
    out.serverMaxWindowBits = options.serverMaxWindowBits;
  }
  if (options.clientMaxWindowBits !== undefined) {
    out.clientMaxWindowBits = options.clientMaxWindowBits;
  }
  return out;
});

function validParams(params: DeflateParams): boolean {
  return [params.serverMaxWindowBits, params.clientMaxWindowBits].every((bits) =>
    Number.isInteger(bits) && bits >= 8 && bits <= 15
  );
}

describe("properties", () => {
  it("negotiateServer never throws on any offers; what it accepts is in range", () => {
    fc.assert(
      fc.property(fc.array(offerArbitrary, { maxLength: 4 }), optionsArbitrary, (offers, opts) => {
        const result = negotiateServer(offers, opts);
        if (result === undefined) return;
        expect(validParams(result.params)).toBe(true);
        // The response parses and the client side of the same options agrees with it.
        expect(parseExtensionList(result.response)).toHaveLength(1);
      }),
      { numRuns: 2000 },
    );
  });

  it("acceptServerResponse throws nothing but HandshakeError on any response", () => {
    fc.assert(
      fc.property(fc.array(offerArbitrary, { maxLength: 3 }), optionsArbitrary, (list, opts) => {
        try {
          expect(validParams(acceptServerResponse(list, opts))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(HandshakeError);
          expect((error as HandshakeError).status).toBe(101);
          expect((error as HandshakeError).message).toMatch(/\(rfc7692#section-[\d.]+\)$/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("a wsflow client and a wsflow server always agree, whatever each is configured with", () => {
    fc.assert(
      fc.property(optionsArbitrary, optionsArbitrary, (clientOptions, serverOptions) => {
        const offer = parseExtensionList(buildClientOffer(clientOptions));
        const server = negotiateServer(offer, serverOptions);
        expect(server).toBeDefined();
        const client = acceptServerResponse(parseExtensionList(server!.response), clientOptions);
        expect(client.serverNoContextTakeover).toBe(server!.params.serverNoContextTakeover);
        expect(client.serverMaxWindowBits).toBe(server!.params.serverMaxWindowBits);
        // The client may keep a promise the server did not ask for, and compress with less
        // than the server allows; never the other way round.
        expect(client.clientNoContextTakeover || !server!.params.clientNoContextTakeover)
          .toBe(true);
        expect(client.clientMaxWindowBits).toBeLessThanOrEqual(server!.params.clientMaxWindowBits);
        if (clientOptions.serverMaxWindowBits !== undefined) {
          expect(client.serverMaxWindowBits).toBeLessThanOrEqual(clientOptions.serverMaxWindowBits);
        }
        if (serverOptions.serverMaxWindowBits !== undefined) {
          expect(server!.params.serverMaxWindowBits).toBeLessThanOrEqual(
            serverOptions.serverMaxWindowBits,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

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
