// acceptKey and acceptKeyWith: the Sec-WebSocket-Accept computation both roles share
// (rfc6455#section-4.2.2), through crypto.subtle or a synchronous SHA-1 the adapter gives.
import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { acceptKey, acceptKeyWith } from "../../src/protocol/accept_key.ts";
import { connectWith } from "../../src/client/connect.ts";
import { handleStream } from "../../src/server/handle_stream.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
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

describe("acceptKeyWith", () => {
  const sha1 = (data: Uint8Array): Uint8Array => createHash("sha1").update(data).digest();

  it("rfc6455#section-4.2.2 gives the RFC's accept value with a synchronous SHA-1", () => {
    expect(acceptKeyWith(RFC_KEY, sha1)).toBe(RFC_ACCEPT);
  });

  it("agrees with acceptKey (crypto.subtle) on fresh keys", async () => {
    for (let i = 0; i < 20; i++) {
      const key = createClientHandshake({ url: "ws://a/" }).key;
      expect(acceptKeyWith(key, sha1)).toBe(await acceptKey(key));
    }
  });

  it("the server computes the 101's accept value with the `sha1` it is given", async () => {
    const hashed: number[] = [];
    const [serverEnd, clientEnd] = byteStreamPair();
    const handled = handleStream(serverEnd, (ws) => ws.close(1000), {
      sha1: (data) => {
        hashed.push(data.length);
        return sha1(data);
      },
    });
    const ws = await connectWith(() => Promise.resolve(clientEnd), "ws://example.com/");
    for await (const _ of ws) { /* until closed */ }
    await handled;
    // the client checked the accept value; the server hashed key + GUID (24 + 36 bytes) once
    expect(hashed).toEqual([60]);
  });
});
