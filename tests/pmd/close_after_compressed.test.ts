// rfc6455#section-5.5.1: the Close reply waits only until the handler has read what came
// before the Close. A compressed message and the Close in one read: the message is inflated
// first, and the handler may read it before the rest of the batch (the Close) is handled; it
// then already waits for more, so the reply goes out at once, not after closeTimeout. (Found
// with y-websocket's provider, whose last awareness update is followed by its Close.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import { deflateMessage, utf8 } from "../_helpers/pmd_codec.ts";
import { PmdRawClient } from "../_helpers/pmd_raw.ts";
import { startServer } from "../_helpers/pmd_server.ts";

const CLOSE_TIMEOUT = 5_000;

describe("permessage-deflate: a Close right after a compressed message", () => {
  let server: Server | undefined;
  const read: string[] = [];
  beforeAll(async () => {
    server = await startServer(async (ws) => {
      for await (const message of ws) read.push(String(message));
    }, { closeTimeout: CLOSE_TIMEOUT });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("rfc6455#section-5.5.1 replies to the Close at once once the handler has read the inflated message", async () => {
    const client = await PmdRawClient.open(server!.addr.port, { extensions: "permessage-deflate" });
    const started = Date.now();
    client.sendFrame(0x1, deflateMessage(utf8("last words")), { rsv: 4 });
    client.sendFrame(0x8, new Uint8Array([0x03, 0xe8]));
    const reply = await client.nextClose("the Close reply", CLOSE_TIMEOUT - 1_000);
    expect(reply?.code).toBe(1000);
    expect(Date.now() - started).toBeLessThan(CLOSE_TIMEOUT - 1_000);
    expect(read).toEqual(["last words"]);
    client.close();
  });
});
