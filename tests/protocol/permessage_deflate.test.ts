// permessage-deflate negotiation, both roles, over random offers, responses and options: what
// each side accepts is in range, and a wsflow client and server always agree. The API of each
// side is in permessage_deflate_server.test.ts, permessage_deflate_client.test.ts and
// permessage_deflate_params.test.ts; the rules one by one in
// tests/rfc7692/section_7_1_negotiation.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { type ExtensionOffer, parseExtensionList } from "../../src/protocol/header_lists.ts";
import {
  type DeflateParams,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
} from "../../src/protocol/permessage_deflate.ts";
import {
  acceptServerResponse,
  buildClientOffer,
} from "../../src/protocol/permessage_deflate_client.ts";
import { negotiateServer } from "../../src/protocol/permessage_deflate_server.ts";

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
});
