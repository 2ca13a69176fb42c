// acceptKey: the Sec-WebSocket-Accept computation both roles share (rfc6455#section-4.2.2).
import { describe, expect, it } from "vitest";
import { acceptKey } from "../../src/protocol/accept_key.ts";
import { createClientHandshake } from "../../src/protocol/client_handshake.ts";

const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

describe("acceptKey", () => {
  it("rfc6455#section-4.2.2 turns the RFC's example key into its accept value", async () => {
    expect(await acceptKey(RFC_KEY)).toBe(RFC_ACCEPT);
  });

  it("gives 28 base64 characters for any key", async () => {
    const key = createClientHandshake({ url: "ws://a/" }).key;
    expect(await acceptKey(key)).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    expect(await acceptKey(key)).not.toBe(RFC_ACCEPT);
  });
});
