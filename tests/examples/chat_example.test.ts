// examples/chat/server.ts without a browser, under every runtime: the server runs as a child
// process of the runtime under test, and raw clients join rooms. (The same server in real
// Chromium: chat_chromium.test.ts, under Node.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { RawClient } from "../_helpers/raw_client.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const TEXT = 0x1;

describe("examples/chat/server.ts", () => {
  let server: ExampleProcess | undefined;
  let port = 0;
  const open: RawClient[] = [];

  beforeAll(async () => {
    server = await startExample("examples/chat/server.ts", { PORT: "0" });
    port = Number(new URL(server.urls[0]!).port);
  });

  afterAll(async () => {
    for (const client of open) client.close();
    await server?.stop();
  });

  async function join(room: string, name: string): Promise<RawClient> {
    const client = await RawClient.handshake(port, {
      path: `/rooms/${room}?name=${name}`,
      // As a page of this server would: RawClient sends `Host: 127.0.0.1`, so that origin.
      headers: { Origin: "http://127.0.0.1" },
    });
    open.push(client);
    expect(client.response?.status).toBe(101);
    return client;
  }

  /** The next relayed event, parsed. */
  async function next(client: RawClient, what: string): Promise<Record<string, string>> {
    const frame = await withTimeout(client.nextFrame(), 5_000, what);
    expect(frame?.opcode).toBe(TEXT);
    return JSON.parse(new TextDecoder().decode(frame?.payload));
  }

  it("prints `LISTENING http://HOST:PORT` and serves the page on GET /", async () => {
    expect(server!.urls[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server!.urls[0]}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain("new WebSocket(");
    const missing = await fetch(`${server!.urls[0]}/nope`);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
  });

  it("relays a message to everyone in the room, the sender included, and to no other room", async () => {
    const alice = await join("lobby", "alice");
    expect(await next(alice, "alice's own join")).toEqual({ event: "joined", name: "alice" });
    const bob = await join("lobby", "bob");
    expect(await next(bob, "bob's own join")).toEqual({ event: "joined", name: "bob" });
    expect(await next(alice, "bob's join")).toEqual({ event: "joined", name: "bob" });
    const carol = await join("other", "carol");
    expect(await next(carol, "carol's own join")).toEqual({ event: "joined", name: "carol" });

    alice.sendFrame(TEXT, "hello 👋");
    const relayed = { event: "message", name: "alice", text: "hello 👋" };
    expect(await next(bob, "relay to bob")).toEqual(relayed);
    expect(await next(alice, "relay to the sender")).toEqual(relayed);

    carol.sendFrame(TEXT, "anyone?");
    expect(await next(carol, "carol's own message")).toMatchObject({ text: "anyone?" });
    // Alice's next event is Bob leaving, not Carol's message from the other room.
    bob.close();
    expect(await next(alice, "bob leaves")).toEqual({ event: "left", name: "bob" });
  });

  it("rfc6455#section-10.2 keeps the default same-origin policy: a foreign page gets 403", async () => {
    const client = await RawClient.open(port);
    open.push(client);
    const response = await withTimeout(
      client.sendHandshake({ path: "/rooms/lobby", headers: { Origin: "https://evil.example" } }),
      5_000,
      "403",
    );
    expect(response.status).toBe(403);
  });

  it("the upgrade hook refuses a name longer than 32 characters with 400", async () => {
    const client = await RawClient.open(port);
    open.push(client);
    const response = await withTimeout(
      client.sendHandshake({ path: `/rooms/lobby?name=${"x".repeat(33)}` }),
      5_000,
      "400",
    );
    expect(response.status).toBe(400);
  });
});
