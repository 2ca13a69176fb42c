// buildClientOffer (src/protocol/permessage_deflate_client.ts): the offer a wsflow client sends.
// acceptServerResponse's rules, one by one, are in tests/rfc7692/section_7_1_negotiation.test.ts.
import { describe, expect, it } from "vitest";
import { buildClientOffer } from "../../src/protocol/permessage_deflate_client.ts";

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
