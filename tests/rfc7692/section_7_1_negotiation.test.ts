// rfc7692#section-5 and rfc7692#section-7.1: what a server accepts, declines and answers, and
// what a client accepts or fails on, one parameter at a time.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { type ExtensionOffer, parseExtensionList } from "../../src/protocol/header_lists.ts";
import type {
  DeflateParams,
  PerMessageDeflateOptions,
} from "../../src/protocol/permessage_deflate.ts";
import { acceptServerResponse } from "../../src/protocol/permessage_deflate_client.ts";
import { negotiateServer } from "../../src/protocol/permessage_deflate_server.ts";

const DEFAULTS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/** The server's answer to `header` as [response, params], or "declined". */
function server(
  header: string,
  options: PerMessageDeflateOptions = {},
): [string, DeflateParams] | "declined" {
  const result = negotiateServer(parseExtensionList(header), options);
  return result === undefined ? "declined" : [result.response, result.params];
}

function serverOffers(offers: ExtensionOffer[], options: PerMessageDeflateOptions = {}) {
  return negotiateServer(offers, options) ?? "declined";
}

/** The client's reading of `header`, or the HandshakeError it failed with. */
function client(header: string, options: PerMessageDeflateOptions = {}): DeflateParams | string {
  try {
    return acceptServerResponse(parseExtensionList(header), options);
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    expect(error.status).toBe(101);
    expect(error.closeCode).toBe(1002);
    return error.message;
  }
}

function pmd(...params: [string, string | null][]): ExtensionOffer {
  return { name: "permessage-deflate", params };
}

describe("rfc7692#section-5 a server declines invalid offers and tries the next", () => {
  const invalid: [string, string][] = [
    ["an unknown parameter", "permessage-deflate; mux"],
    ["an unknown parameter with a value", "permessage-deflate; window=10"],
    [
      "server_no_context_takeover twice",
      "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
    ],
    [
      "client_no_context_takeover twice",
      "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
    ],
    [
      "server_max_window_bits twice",
      "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
    ],
    [
      "client_max_window_bits twice",
      "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
    ],
    [
      "server_no_context_takeover with a value",
      "permessage-deflate; server_no_context_takeover=true",
    ],
    ["client_no_context_takeover with a value", "permessage-deflate; client_no_context_takeover=1"],
  ];
  for (const [what, header] of invalid) {
    it(`rfc7692#section-5 declines an offer with ${what}`, () => {
      expect(server(header)).toBe("declined");
      expect(server(`${header}, permessage-deflate; server_no_context_takeover`)).toEqual([
        "permessage-deflate; server_no_context_takeover",
        { ...DEFAULTS, serverNoContextTakeover: true },
      ]);
    });
  }

  it("rfc7692#section-5 takes the first acceptable offer in the client's order", () => {
    expect(
      server(
        "permessage-deflate; server_max_window_bits=16, " +
          "permessage-deflate; server_max_window_bits=10, permessage-deflate",
      ),
    ).toEqual([
      "permessage-deflate; server_max_window_bits=10",
      { ...DEFAULTS, serverMaxWindowBits: 10 },
    ]);
    // A valid first offer wins over a later one, whatever the later one asks.
    expect(server("permessage-deflate, permessage-deflate; server_no_context_takeover")).toEqual([
      "permessage-deflate",
      DEFAULTS,
    ]);
  });

  it("rfc7692#section-5 declines when every offer is invalid", () => {
    expect(server("permessage-deflate; a, permessage-deflate; server_max_window_bits=7"))
      .toBe("declined");
  });
});

describe("rfc7692#section-7.1.1.1 server_no_context_takeover", () => {
  it("rfc7692#section-7.1.1.1 a server accepts the request by including it", () => {
    expect(server("permessage-deflate; server_no_context_takeover")).toEqual([
      "permessage-deflate; server_no_context_takeover",
      { ...DEFAULTS, serverNoContextTakeover: true },
    ]);
  });

  it("rfc7692#section-7.1.1.1 a server may include it unasked", () => {
    expect(server("permessage-deflate", { serverNoContextTakeover: true })).toEqual([
      "permessage-deflate; server_no_context_takeover",
      { ...DEFAULTS, serverNoContextTakeover: true },
    ]);
  });

  it("rfc7692#section-7.1.1.1 a client accepts it unasked", () => {
    expect(client("permessage-deflate; server_no_context_takeover")).toEqual({
      ...DEFAULTS,
      serverNoContextTakeover: true,
    });
  });

  it("rfc7692#section-7.1.1.1 a client that asked fails on a response without it", () => {
    expect(client("permessage-deflate", { serverNoContextTakeover: true })).toBe(
      "Cannot connect: the response lacks server_no_context_takeover, which was requested " +
        "(rfc7692#section-7.1.1.1)",
    );
    expect(
      client("permessage-deflate; server_no_context_takeover", { serverNoContextTakeover: true }),
    ).toEqual({ ...DEFAULTS, serverNoContextTakeover: true });
  });

  it("rfc7692#section-7.1.1.1 the parameter has no value, in a response either", () => {
    expect(client("permessage-deflate; server_no_context_takeover=1")).toBe(
      'Cannot connect: the response\'s parameter server_no_context_takeover has value "1", ' +
        "expected none (rfc7692#section-5)",
    );
  });
});

describe("rfc7692#section-7.1.1.2 client_no_context_takeover", () => {
  it("rfc7692#section-7.1.1.2 a server echoes the client's hint", () => {
    expect(server("permessage-deflate; client_no_context_takeover")).toEqual([
      "permessage-deflate; client_no_context_takeover",
      { ...DEFAULTS, clientNoContextTakeover: true },
    ]);
  });

  it("rfc7692#section-7.1.1.2 a server may include it unasked", () => {
    expect(server("permessage-deflate", { clientNoContextTakeover: true })).toEqual([
      "permessage-deflate; client_no_context_takeover",
      { ...DEFAULTS, clientNoContextTakeover: true },
    ]);
  });

  it("rfc7692#section-7.1.1.2 a client accepts it unasked", () => {
    expect(client("permessage-deflate; client_no_context_takeover")).toEqual({
      ...DEFAULTS,
      clientNoContextTakeover: true,
    });
  });

  it("rfc7692#section-7.1.1.2 a client that offered it keeps its promise even if not echoed", () => {
    expect(client("permessage-deflate", { clientNoContextTakeover: true })).toEqual({
      ...DEFAULTS,
      clientNoContextTakeover: true,
    });
  });

  it("rfc7692#section-7.1.1.2 the parameter has no value", () => {
    expect(client("permessage-deflate; client_no_context_takeover=true")).toMatch(
      /client_no_context_takeover has value "true", expected none/,
    );
  });
});

describe("rfc7692#section-7.1.2.1 server_max_window_bits", () => {
  for (let bits = 8; bits <= 15; bits++) {
    it(`rfc7692#section-7.1.2.1 a server accepts server_max_window_bits=${bits} with the same value`, () => {
      expect(server(`permessage-deflate; server_max_window_bits=${bits}`)).toEqual([
        `permessage-deflate; server_max_window_bits=${bits}`,
        { ...DEFAULTS, serverMaxWindowBits: bits },
      ]);
    });
  }

  it("rfc7692#section-7.1.2.1 a server answers the smaller of the offer and its own limit", () => {
    expect(server("permessage-deflate; server_max_window_bits=12", { serverMaxWindowBits: 10 }))
      .toEqual([
        "permessage-deflate; server_max_window_bits=10",
        { ...DEFAULTS, serverMaxWindowBits: 10 },
      ]);
    expect(server("permessage-deflate; server_max_window_bits=9", { serverMaxWindowBits: 10 }))
      .toEqual([
        "permessage-deflate; server_max_window_bits=9",
        { ...DEFAULTS, serverMaxWindowBits: 9 },
      ]);
  });

  it("rfc7692#section-7.1.2.1 a server may announce a smaller window unasked", () => {
    expect(server("permessage-deflate", { serverMaxWindowBits: 11 })).toEqual([
      "permessage-deflate; server_max_window_bits=11",
      { ...DEFAULTS, serverMaxWindowBits: 11 },
    ]);
  });

  it("rfc7692#section-7.1.2.1 a server accepts 8 (zlib compresses with 9, within 8's reach)", () => {
    expect(server("permessage-deflate; server_max_window_bits=8", { serverMaxWindowBits: 12 }))
      .toEqual([
        "permessage-deflate; server_max_window_bits=8",
        { ...DEFAULTS, serverMaxWindowBits: 8 },
      ]);
  });

  const malformed: [string, string | null][] = [
    ["no value", null],
    ["7", "7"],
    ["16", "16"],
    ["0", "0"],
    ["abc", "abc"],
    ["08 (leading zero)", "08"],
    ["+9", "+9"],
    ["9.0", "9.0"],
    ["1e1", "1e1"],
    ["the empty string", ""],
    ["a space", " 9"],
    ["010", "010"],
  ];
  for (const [label, value] of malformed) {
    it(`rfc7692#section-7.1.2.1 a server declines server_max_window_bits with ${label}`, () => {
      expect(serverOffers([pmd(["server_max_window_bits", value])])).toBe("declined");
    });
    it(`rfc7692#section-7.1.2.1 a client fails on server_max_window_bits with ${label}`, () => {
      const result = acceptOrMessage([pmd(["server_max_window_bits", value])], {});
      expect(result).toMatch(/^Cannot connect: the response's parameter server_max_window_bits/);
    });
  }

  it("rfc7692#section-7.1.2.1 a quoted value is the same value", () => {
    expect(server('permessage-deflate; server_max_window_bits="10"')).toEqual([
      "permessage-deflate; server_max_window_bits=10",
      { ...DEFAULTS, serverMaxWindowBits: 10 },
    ]);
  });

  it("rfc7692#section-7.1.2.1 a client accepts the same or a smaller value than it asked", () => {
    for (let bits = 8; bits <= 10; bits++) {
      expect(
        client(`permessage-deflate; server_max_window_bits=${bits}`, { serverMaxWindowBits: 10 }),
      )
        .toEqual({ ...DEFAULTS, serverMaxWindowBits: bits });
    }
  });

  it("rfc7692#section-7.1.2.1 a client fails on a larger value than it asked", () => {
    expect(client("permessage-deflate; server_max_window_bits=11", { serverMaxWindowBits: 10 }))
      .toBe(
        "Cannot connect: server_max_window_bits is 11, above the 10 requested " +
          "(rfc7692#section-7.1.2.1)",
      );
  });

  it("rfc7692#section-7.1.2.1 a client fails when its request was not included", () => {
    expect(client("permessage-deflate", { serverMaxWindowBits: 10 })).toBe(
      "Cannot connect: the response lacks server_max_window_bits, 10 was requested " +
        "(rfc7692#section-7.1.2.1)",
    );
  });

  it("rfc7692#section-7.1.2.1 a client accepts a window announced unasked", () => {
    expect(client("permessage-deflate; server_max_window_bits=12")).toEqual({
      ...DEFAULTS,
      serverMaxWindowBits: 12,
    });
  });
});

describe("rfc7692#section-7.1.2.2 client_max_window_bits", () => {
  it("rfc7692#section-7.1.2.2 without it in the offer, the response MUST NOT include it", () => {
    expect(server("permessage-deflate", { clientMaxWindowBits: 10 })).toEqual([
      "permessage-deflate",
      DEFAULTS,
    ]);
  });

  it("rfc7692#section-7.1.2.2 offered bare, a server answers its own limit or nothing", () => {
    expect(server("permessage-deflate; client_max_window_bits", { clientMaxWindowBits: 10 }))
      .toEqual([
        "permessage-deflate; client_max_window_bits=10",
        { ...DEFAULTS, clientMaxWindowBits: 10 },
      ]);
    expect(server("permessage-deflate; client_max_window_bits")).toEqual([
      "permessage-deflate",
      DEFAULTS,
    ]);
  });

  it("rfc7692#section-7.1.2.2 offered with a value, a server answers that value or less", () => {
    expect(server("permessage-deflate; client_max_window_bits=10")).toEqual([
      "permessage-deflate; client_max_window_bits=10",
      { ...DEFAULTS, clientMaxWindowBits: 10 },
    ]);
    expect(server("permessage-deflate; client_max_window_bits=10", { clientMaxWindowBits: 12 }))
      .toEqual([
        "permessage-deflate; client_max_window_bits=10",
        { ...DEFAULTS, clientMaxWindowBits: 10 },
      ]);
    expect(server("permessage-deflate; client_max_window_bits=10", { clientMaxWindowBits: 9 }))
      .toEqual([
        "permessage-deflate; client_max_window_bits=9",
        { ...DEFAULTS, clientMaxWindowBits: 9 },
      ]);
  });

  for (let bits = 8; bits <= 15; bits++) {
    it(`rfc7692#section-7.1.2.2 a server accepts client_max_window_bits=${bits}`, () => {
      expect(server(`permessage-deflate; client_max_window_bits=${bits}`)).toEqual([
        `permessage-deflate; client_max_window_bits=${bits}`,
        { ...DEFAULTS, clientMaxWindowBits: bits },
      ]);
    });
  }

  for (const value of ["7", "16", "08", "", "x", "15 "]) {
    it(`rfc7692#section-7.1.2.2 a server declines client_max_window_bits=${JSON.stringify(value)}`, () => {
      expect(serverOffers([pmd(["client_max_window_bits", value])])).toBe("declined");
    });
  }

  it("rfc7692#section-7.1.2.2 a client fails on the parameter without a value", () => {
    expect(client("permessage-deflate; client_max_window_bits")).toBe(
      "Cannot connect: the response's parameter client_max_window_bits has no value, " +
        "expected 8..15 (rfc7692#section-5)",
    );
  });

  it("rfc7692#section-7.1.2.2 a client accepts any window it offered bare", () => {
    for (let bits = 8; bits <= 15; bits++) {
      expect(client(`permessage-deflate; client_max_window_bits=${bits}`)).toEqual({
        ...DEFAULTS,
        clientMaxWindowBits: bits,
      });
    }
  });

  it("rfc7692#section-7.1.2.2 a client fails on a window above the one it offered", () => {
    expect(client("permessage-deflate; client_max_window_bits=13", { clientMaxWindowBits: 12 }))
      .toBe(
        "Cannot connect: client_max_window_bits is 13, above the 12 offered " +
          "(rfc7692#section-7.1.2.2)",
      );
    expect(client("permessage-deflate; client_max_window_bits=11", { clientMaxWindowBits: 12 }))
      .toEqual({ ...DEFAULTS, clientMaxWindowBits: 11 });
  });

  it("rfc7692#section-7.1.2.2 a client compresses with its own offered window when not answered", () => {
    expect(client("permessage-deflate", { clientMaxWindowBits: 12 })).toEqual({
      ...DEFAULTS,
      clientMaxWindowBits: 12,
    });
  });

  for (const value of ["7", "16", "08", "abc"]) {
    it(`rfc7692#section-7.1.2.2 a client fails on client_max_window_bits=${value}`, () => {
      expect(client(`permessage-deflate; client_max_window_bits=${value}`)).toMatch(
        /client_max_window_bits has value ".*", expected 8\.\.15 \(rfc7692#section-5\)$/,
      );
    });
  }
});

describe("rfc7692#section-5 a client fails on an invalid response", () => {
  it("rfc7692#section-5 fails on permessage-deflate accepted twice", () => {
    expect(client("permessage-deflate, permessage-deflate")).toBe(
      "Cannot connect: the response accepts permessage-deflate 2 times, not once " +
        "(rfc7692#section-5)",
    );
  });

  it("rfc7692#section-7.1 fails when the response does not accept permessage-deflate", () => {
    expect(client("")).toBe(
      "Cannot connect: the response does not accept permessage-deflate (rfc7692#section-7.1)",
    );
    expect(client("x-other")).toMatch(/does not accept permessage-deflate/);
  });

  const repeated = [
    "server_no_context_takeover; server_no_context_takeover",
    "client_no_context_takeover; client_no_context_takeover",
    "server_max_window_bits=10; server_max_window_bits=10",
    "client_max_window_bits=10; client_max_window_bits=9",
  ];
  for (const params of repeated) {
    it(`rfc7692#section-5 fails on a repeated parameter: ${params}`, () => {
      const name = params.split(/[;=]/)[0]!;
      expect(client(`permessage-deflate; ${params}`)).toBe(
        `Cannot connect: the response repeats parameter ${name} (rfc7692#section-5)`,
      );
    });
  }

  it("rfc7692#section-5 fails on an unknown parameter", () => {
    expect(client("permessage-deflate; x-foo=1")).toBe(
      'Cannot connect: the response has parameter "x-foo", which permessage-deflate does not ' +
        "define (rfc7692#section-5)",
    );
  });

  it("ignores other extensions in the response (the handshake vets those)", () => {
    expect(client("x-other; a=1, permessage-deflate; server_no_context_takeover")).toEqual({
      ...DEFAULTS,
      serverNoContextTakeover: true,
    });
  });
});

function acceptOrMessage(
  list: ExtensionOffer[],
  options: PerMessageDeflateOptions,
): DeflateParams | string {
  try {
    return acceptServerResponse(list, options);
  } catch (error) {
    if (!(error instanceof HandshakeError)) throw error;
    return error.message;
  }
}
