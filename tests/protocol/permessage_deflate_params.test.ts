// Reading and checking permessage-deflate parameters (src/protocol/permessage_deflate_params.ts),
// through both roles' functions: hostile parameter names are plain unknown names, and malformed
// options are refused before anything is offered or negotiated.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { parseExtensionList } from "../../src/protocol/header_lists.ts";
import {
  DEFAULT_DEFLATE_THRESHOLD,
  type PerMessageDeflateOptions,
} from "../../src/protocol/permessage_deflate.ts";
import {
  acceptServerResponse,
  buildClientOffer,
} from "../../src/protocol/permessage_deflate_client.ts";
import { negotiateServer } from "../../src/protocol/permessage_deflate_server.ts";
import { thrown } from "../_helpers/thrown.ts";

function negotiate(header: string, options: PerMessageDeflateOptions = {}) {
  return negotiateServer(parseExtensionList(header), options);
}

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
