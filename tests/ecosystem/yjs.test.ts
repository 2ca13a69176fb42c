// y-websocket's server side (`setupWSConnection` from @y/websocket-server, the server that
// y-websocket v2 moved out of its own package) on wsflow/ws's WebSocketServer: two of
// y-websocket's own `WebsocketProvider`s edit one shared document and see each other's edits
// through the server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { WebsocketProvider } from "y-websocket";
import { setupWSConnection } from "@y/websocket-server/utils";
import { WebSocketServer } from "../../src/adapters/node_ws.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { ClientWebSocket } from "../_helpers/ecosystem_client.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

let wss: WebSocketServer;
let url: string;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  wss.on("connection", (conn, req) => setupWSConnection(conn, req));
  await new Promise((resolve) => wss.once("listening", resolve));
  url = `ws://127.0.0.1:${wss.address().port}`;
});

afterAll(async () => {
  await new Promise((resolve) => wss.close(resolve));
});

function provider(doc: Y.Doc, room: string): WebsocketProvider {
  // disableBc: providers in one process would otherwise also sync over a BroadcastChannel,
  // around the server.
  return new WebsocketProvider(url, room, doc, {
    WebSocketPolyfill: ClientWebSocket,
    disableBc: true,
  });
}

async function until(what: string, done: () => boolean): Promise<void> {
  await withTimeout(
    (async () => {
      while (!done()) await delay(5);
    })(),
    10_000,
    what,
  );
}

describe(`y-websocket on wsflow/ws (${runtime})`, () => {
  it("two providers sync a shared document through the server, both ways", async () => {
    const room = `room-${runtime}-${Date.now()}`;
    const [docA, docB] = [new Y.Doc(), new Y.Doc()];
    const a = provider(docA, room);
    const b = provider(docB, room);
    try {
      await until("both synced", () => a.synced && b.synced);
      docA.getText("text").insert(0, "hello from A");
      await until("B sees A's edit", () => docB.getText("text").toString() === "hello from A");
      docB.getMap("map").set("from", "B");
      await until("A sees B's edit", () => docA.getMap("map").get("from") === "B");
      // A third provider joining late gets the whole state from the server's copy.
      const docC = new Y.Doc();
      const c = provider(docC, room);
      try {
        await until("C synced", () => c.synced);
        expect(docC.getText("text").toString()).toBe("hello from A");
        expect(docC.getMap("map").get("from")).toBe("B");
      } finally {
        c.destroy();
      }
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});
