// wsflow's own SHA-1 for the accept key (rfc6455#section-4.2.2): the same value as crypto's, and
// the plain 101 it writes the same bytes as upgradeResponseHead.
import { describe, expect, it } from "vitest";
import { acceptKey } from "../../src/protocol/accept_key.ts";
import { acceptKeySync, writeAcceptKey } from "../../src/protocol/accept_key_sync.ts";
import { createClientHandshake } from "../../src/protocol/client_handshake.ts";
import {
  plainUpgradeResponseHead,
  upgradeResponseHead,
} from "../../src/protocol/server_handshake.ts";

const RFC_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
const RFC_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

describe("acceptKeySync", () => {
  it("rfc6455#section-4.2.2 turns the RFC's example key into its accept value", () => {
    expect(acceptKeySync(RFC_KEY)).toBe(RFC_ACCEPT);
  });

  it("agrees with acceptKey (crypto.subtle) on fresh keys", async () => {
    for (let i = 0; i < 200; i++) {
      const key = createClientHandshake({ url: "ws://a/" }).key;
      expect(acceptKeySync(key)).toBe(await acceptKey(key));
    }
  });

  it("agrees with acceptKey on every value of each key byte", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (let at = 0; at < 22; at += 7) {
      for (const c of alphabet) {
        const key = `${RFC_KEY.slice(0, at)}${c}${RFC_KEY.slice(at + 1)}`;
        expect(acceptKeySync(key)).toBe(await acceptKey(key));
      }
    }
  });

  it("declines a key of another length or with non-ASCII characters, writing nothing", () => {
    const out = new Uint8Array(28);
    expect(acceptKeySync("short")).toBeUndefined();
    expect(writeAcceptKey(`${RFC_KEY.slice(0, 23)}\u00e9`, out, 0)).toBe(false);
    expect(out.every((byte) => byte === 0)).toBe(true);
  });

  it("writes at an offset", () => {
    const out = new Uint8Array(32);
    expect(writeAcceptKey(RFC_KEY, out, 4)).toBe(true);
    expect(String.fromCharCode(...out.subarray(4))).toBe(RFC_ACCEPT);
  });
});

describe("plainUpgradeResponseHead", () => {
  it("rfc6455#section-4.2.2 gives the bytes of upgradeResponseHead with the accept value", async () => {
    for (const key of [RFC_KEY, createClientHandshake({ url: "ws://a/" }).key]) {
      const expected = upgradeResponseHead({ accept: await acceptKey(key) });
      expect([...plainUpgradeResponseHead(key)!]).toEqual([...expected]);
    }
  });

  it("gives a fresh buffer each time", () => {
    const a = plainUpgradeResponseHead(RFC_KEY)!;
    const b = plainUpgradeResponseHead(RFC_KEY)!;
    expect(a).not.toBe(b);
    a[0] = 0;
    expect(b[0]).toBe(0x48);
  });

  it("declines a key that is not of a valid key's form", () => {
    expect(plainUpgradeResponseHead("AAAA")).toBeUndefined();
  });
});
