// A compressed message is limited by its inflated size, not by its size on the wire
// (rfc7692#section-7.2.2): incompressible data grows when deflated, by as much as the peer's
// window, memLevel and block strategy make it. python websockets (window bits 12, memLevel 5)
// sends 16 MiB of random bytes as one frame of 16,818,182 bytes; zlib at memLevel 1 stores it in
// 127-byte blocks, 4% larger. Both must arrive under the default 16 MiB limits, in both roles.
import { describe, expect, it } from "vitest";
import type { Connection } from "../../src/streams/connection.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { deflateMessage, randomBytes } from "../_helpers/pmd_codec.ts";
import { PmdRawClient, startPmdRawServer } from "../_helpers/pmd_raw.ts";
import { connectClient, nextMessage, startServer } from "../_helpers/pmd_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const MiB = 1024 * 1024;
const MESSAGE = randomBytes(16 * MiB);

describe("permessage-deflate: a compressed frame larger on the wire than the message limit", () => {
  it("rfc7692#section-7.2.2 the client accepts 16 MiB of random bytes sent as python websockets does (window bits 12, memLevel 5: one frame of 16,818,182 bytes or so)", async () => {
    const payload = deflateMessage(MESSAGE, 12, 5);
    expect(payload.length).toBeGreaterThan(16 * MiB + 16 * 1024 + 1024); // over the old slack
    const server = await startPmdRawServer(() =>
      "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
    );
    let client: Connection | undefined;
    try {
      client = await connectClient(`ws://127.0.0.1:${server.port}/`);
      const peer = await server.nextPeer();
      peer.sendFrame(0x2, payload, { rsv: 4 });
      const received = await nextMessage(client, "the 16 MiB message", 20_000);
      expect(received).toBeInstanceOf(Uint8Array);
      expect(bytesDiff(received as Uint8Array, MESSAGE)).toBe("");
    } finally {
      client?.terminate();
      await server.close();
    }
  });

  it("rfc7692#section-7.2.2 the server accepts 16 MiB of random bytes stored by zlib in 127-byte blocks (memLevel 1: one frame 4% larger)", async () => {
    const payload = deflateMessage(MESSAGE, 15, 1);
    expect(payload.length).toBeGreaterThan(16.5 * MiB);
    const received: number[] = [];
    const server = await startServer(async (ws) => {
      for await (const message of ws) {
        received.push(message.length);
        await ws.send(`${message.length}`);
      }
    });
    const client = await PmdRawClient.open(server.addr.port, { extensions: "permessage-deflate" });
    try {
      expect(client.status).toBe(101);
      client.sendFrame(0x2, payload, { rsv: 4 });
      const answer = await client.nextMessage("the server's answer", 20_000);
      expect(new TextDecoder().decode(answer.payload)).toBe(`${16 * MiB}`);
      expect(received).toEqual([16 * MiB]);
    } finally {
      client.close();
      await withTimeout(server.close(), 5_000, "the server closes");
    }
  });
});
