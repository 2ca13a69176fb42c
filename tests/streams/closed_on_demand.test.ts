// `closed` made only when asked for (src/streams/connection_parts.ts, channel_writer.ts): a
// connection keeps how it ended in the field `closed` takes, and a writer settles `closed`
// through one object; both must settle the same whether asked for before or after the end.
import { describe, expect, it } from "vitest";
import {
  ChannelByteStream,
  READ_DONE,
  type SocketChannel,
  writerOf,
} from "../../src/streams/socket_channel.ts";
import { connectedPair } from "../../src/testing/connected_pair.ts";

const ADDR = { hostname: "127.0.0.1", port: 1 };

/** A channel whose writes and end are done at once, and that never has anything to read. */
class DoneChannel implements SocketChannel {
  ended = false;
  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    return Promise.resolve(READ_DONE);
  }
  cancel(): void {}
  write(): Promise<void> {
    return Promise.resolve();
  }
  end(): Promise<void> {
    this.ended = true;
    return Promise.resolve();
  }
  abort(): void {}
}

async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe("closed on demand", () => {
  it("rfc6455#section-7.1.4 a connection's closed, first read after it closed, settles with how it ended", async () => {
    const { server, client } = connectedPair();
    const asked = client.closed; // asked for before the end: the promise path
    const reading = (async () => {
      for await (const _ of server) { /* until the Close */ }
    })();
    await client.close(1000, "bye");
    await reading;
    await until(() => server.readyState === "closed");
    expect(server.readyState).toBe("closed");
    // Asked for only now: made from the event kept since the end.
    const closed = server.closed;
    expect(server.closed).toBe(closed);
    expect(await closed).toMatchObject({ code: 1000, reason: "bye", wasClean: true });
    expect(await asked).toMatchObject({ code: 1000, reason: "bye", wasClean: true });
  });

  it("a writer's closed asked for while writable resolves once it is closed", async () => {
    const channel = new DoneChannel();
    const writer = writerOf(new ChannelByteStream(channel, ADDR));
    let settled = "";
    const closed = writer.closed.then(() => (settled = "resolved"), () => (settled = "rejected"));
    await writer.write(new Uint8Array([1]));
    expect(settled).toBe("");
    await writer.close();
    await closed;
    expect(settled).toBe("resolved");
    expect(channel.ended).toBe(true);
  });
});
