// tRPC's WebSocket adapter (`applyWSSHandler`, @trpc/server/adapters/ws) on wsflow/ws's
// WebSocketServer, driven by tRPC's own client (`createWSClient` and `wsLink`) over loopback:
// a query, and a subscription to its end.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initTRPC } from "@trpc/server";
import { applyWSSHandler } from "@trpc/server/adapters/ws";
import { createTRPCClient, createWSClient, wsLink } from "@trpc/client";
import { WebSocketServer } from "../../src/adapters/node_ws.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { ClientWebSocket } from "../_helpers/ecosystem_client.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const t = initTRPC.create();
const appRouter = t.router({
  greet: t.procedure
    .input((value: unknown) => String(value))
    .query(({ input }) => `Hello ${input}`),
  count: t.procedure
    .input((value: unknown) => Number(value))
    .subscription(async function* ({ input }) {
      for (let i = 1; i <= input; i++) yield i;
    }),
});

let wss: WebSocketServer;
let url: string;

beforeAll(async () => {
  wss = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await new Promise((resolve) => wss.once("listening", resolve));
  // deno-lint-ignore no-explicit-any
  applyWSSHandler({ wss: wss as any, router: appRouter });
  url = `ws://127.0.0.1:${wss.address().port}`;
});

afterAll(async () => {
  for (const client of wss.clients!) client.terminate();
  await new Promise((resolve) => wss.close(resolve));
});

describe(`tRPC applyWSSHandler on wsflow/ws (${runtime})`, () => {
  it("serves a query and a subscription to tRPC's wsLink", async () => {
    const wsClient = createWSClient({ url, WebSocket: ClientWebSocket });
    const trpc = createTRPCClient<typeof appRouter>({ links: [wsLink({ client: wsClient })] });
    try {
      const answers = await withTimeout(
        Promise.all([trpc.greet.query("wsflow"), trpc.greet.query("tRPC")]),
        10_000,
        "queries",
      );
      expect(answers).toEqual(["Hello wsflow", "Hello tRPC"]);
      const values = await withTimeout(
        new Promise<number[]>((resolve, reject) => {
          const seen: number[] = [];
          trpc.count.subscribe(5, {
            onData: (value) => void seen.push(value),
            onError: reject,
            onComplete: () => resolve(seen),
          });
        }),
        10_000,
        "subscription",
      );
      expect(values).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await wsClient.close();
    }
  });
});
