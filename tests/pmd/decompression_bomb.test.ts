// Decompression bombs: `limits.maxMessageSize` bounds the inflated size of a compressed message
// (src/streams/connection.ts), checked while inflating, so a payload of tens of KiB that would
// inflate to 64 MiB fails the connection with 1009 (rfc6455#section-7.4.1) quickly, without
// inflating it all, and the server stays up. The limit is exact: inflating to maxMessageSize
// passes, one byte more fails.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { bytesDiff } from "../_helpers/bytes.ts";
import { deflateMessage, inflateMessage, jsonish, utf8 } from "../_helpers/pmd_codec.ts";
import { PmdRawClient, startPmdRawServer } from "../_helpers/pmd_raw.ts";
import { connectClient, startServer } from "../_helpers/pmd_server.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const MiB = 1024 * 1024;
const LIMIT = 1 * MiB;
const CHROMIUM_OFFER = "permessage-deflate; client_max_window_bits";

/** 64 MiB of zeros, compressed: about 64 KiB. Built once. */
const BOMB = deflateMessage(new Uint8Array(64 * MiB));

describe("permessage-deflate: decompression bombs against a wsflow server with maxMessageSize 1 MiB", () => {
  let server: Server | undefined;
  let port = 0;
  const received: number[] = [];
  beforeAll(async () => {
    server = await startServer(async (ws) => {
      for await (const message of ws) {
        received.push(message.length);
        await ws.send(message);
      }
    }, { limits: { maxMessageSize: LIMIT } });
    port = server.addr.port;
  });
  afterAll(async () => {
    await server?.close();
  });

  async function open(): Promise<PmdRawClient> {
    const client = await PmdRawClient.open(port, { extensions: CHROMIUM_OFFER });
    expect(client.status).toBe(101);
    return client;
  }

  async function expectServerUp(): Promise<void> {
    const client = await open();
    try {
      const data = utf8(jsonish(4096, 70));
      client.sendFrame(0x1, deflateMessage(data), { rsv: 4 });
      const echoed = await client.nextMessage("an echo on a fresh connection");
      expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
    } finally {
      client.close();
    }
  }

  for (const [kind, opcode] of [["binary", 0x2], ["text", 0x1]] as const) {
    it(`rfc7692#section-7.2.2 a ${BOMB.length}-byte compressed ${kind} message of 64 MiB of zeros fails with 1009 within 2 s, and the server stays up`, async () => {
      expect(BOMB.length).toBeLessThan(LIMIT / 8);
      const before = received.length;
      const client = await open();
      try {
        const start = performance.now();
        client.sendFrame(opcode, BOMB, { rsv: 4 });
        const close = await client.nextClose("the Close after the bomb", 5_000);
        const elapsed = performance.now() - start;
        expect(close?.code).toBe(1009);
        expect(elapsed).toBeLessThan(2_000);
        await withTimeout(client.ended, 5_000, "the server closes TCP");
        expect(received.length).toBe(before);
      } finally {
        client.close();
      }
      await expectServerUp();
    });
  }

  it("rfc7692#section-7.2.2 a bomb split into 64 fragments fails with 1009 too", async () => {
    const client = await open();
    try {
      const size = Math.ceil(BOMB.length / 64);
      for (let i = 0; i < 64; i++) {
        client.sendFrame(i === 0 ? 0x2 : 0x0, BOMB.subarray(i * size, (i + 1) * size), {
          fin: i === 63,
          rsv: i === 0 ? 4 : 0,
        });
      }
      expect((await client.nextClose("the Close after the bomb"))?.code).toBe(1009);
    } finally {
      client.close();
    }
  });

  it("rfc7692#section-7.2.2 ten bombs on ten connections at once all fail with 1009, and the server stays up", async () => {
    const clients = await Promise.all(Array.from({ length: 10 }, () => open()));
    try {
      for (const client of clients) client.sendFrame(0x2, BOMB, { rsv: 4 });
      const codes = await Promise.all(
        clients.map(async (client) => (await client.nextClose("a Close", 10_000))?.code),
      );
      expect(codes).toEqual(Array(10).fill(1009));
    } finally {
      for (const client of clients) client.close();
    }
    await expectServerUp();
  });

  it("rfc6455#section-10.4 inflating to exactly maxMessageSize passes: 1 MiB of zeros is echoed", async () => {
    const client = await open();
    try {
      const data = new Uint8Array(LIMIT);
      client.sendFrame(0x2, deflateMessage(data), { rsv: 4 });
      const echoed = await client.nextMessage("the 1 MiB echo");
      expect(echoed.compressed).toBe(true);
      expect(bytesDiff(inflateMessage(echoed.payload), data)).toBe("");
    } finally {
      client.close();
    }
  });

  it("rfc6455#section-10.4 inflating to maxMessageSize + 1 fails with 1009", async () => {
    const client = await open();
    try {
      client.sendFrame(0x2, deflateMessage(new Uint8Array(LIMIT + 1)), { rsv: 4 });
      expect((await client.nextClose("the Close"))?.code).toBe(1009);
    } finally {
      client.close();
    }
  });

  it("rfc6455#section-10.4 a compressed text message of exactly maxMessageSize bytes passes, one byte more fails", async () => {
    const text = utf8(jsonish(LIMIT, 71));
    const client = await open();
    try {
      client.sendFrame(0x1, deflateMessage(text), { rsv: 4 });
      const echoed = await client.nextMessage("the 1 MiB text echo");
      expect(bytesDiff(inflateMessage(echoed.payload), text)).toBe("");
      client.sendFrame(0x1, deflateMessage(utf8(jsonish(LIMIT + 1, 71))), { rsv: 4 });
      expect((await client.nextClose("the Close"))?.code).toBe(1009);
    } finally {
      client.close();
    }
  });
});

describe("permessage-deflate: a decompression bomb against wsflow's connect with maxMessageSize 1 MiB", () => {
  it("rfc7692#section-7.2.2 the client fails with 1009 on a bomb from the server", async () => {
    const server = await startPmdRawServer(() => "permessage-deflate");
    let client: Connection | undefined;
    try {
      client = await connectClient(`ws://127.0.0.1:${server.port}/`, {
        limits: { maxMessageSize: LIMIT },
      });
      const peer = await server.nextPeer();
      peer.sendFrame(0x2, BOMB, { rsv: 4 });
      expect((await peer.nextClose("the client's Close"))?.code).toBe(1009);
      peer.socket.end();
      const closed = await withTimeout(client.closed, 5_000, "the client's connection closes");
      expect(closed.code).toBe(1009);
    } finally {
      client?.terminate();
      await server.close();
    }
  });
});
