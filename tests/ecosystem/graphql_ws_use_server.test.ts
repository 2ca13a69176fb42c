// graphql-ws's own `ws` adapter (`useServer`, graphql-ws/use/ws) on wsflow/ws's
// WebSocketServer instead of the `ws` package's: the one-line change of the README's
// "Existing libraries" table. graphql-ws's client drives it over loopback.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Client, createClient } from "graphql-ws";
import { useServer } from "graphql-ws/use/ws";
import { WebSocketServer } from "../../src/adapters/node_ws.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { ClientWebSocket } from "../_helpers/ecosystem_client.ts";
import { roots, schema } from "../_helpers/graphql_schema.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

let http: HttpServer;
let wss: WebSocketServer;
let dispose: () => void | Promise<void>;
let url: string;

beforeAll(async () => {
  http = createServer();
  // deno-lint-ignore no-explicit-any
  wss = new WebSocketServer({ server: http as any, path: "/graphql" });
  // deno-lint-ignore no-explicit-any
  ({ dispose } = useServer({ schema, roots: roots() }, wss as any));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  await dispose();
  await new Promise((resolve) => http.close(resolve));
});

function run<T>(client: Client, query: string): Promise<T[]> {
  return withTimeout(
    new Promise<T[]>((resolve, reject) => {
      const results: T[] = [];
      client.subscribe<T>({ query }, {
        next: (result) => void results.push(result.data as T),
        error: reject,
        complete: () => resolve(results),
      });
    }),
    10_000,
    query,
  );
}

describe(`graphql-ws useServer on wsflow/ws (${runtime})`, () => {
  it("answers queries and subscriptions, many at once, through graphql-ws's own ws adapter", async () => {
    const client = createClient({ url, webSocketImpl: ClientWebSocket, retryAttempts: 0 });
    try {
      const [hello, countdowns] = await Promise.all([
        Promise.all(Array.from({ length: 10 }, (_, i) => run(client, `{ hello(name: "${i}") }`))),
        Promise.all(
          Array.from(
            { length: 5 },
            () => run<{ countdown: number }>(client, "subscription { countdown(from: 4) }"),
          ),
        ),
      ]);
      expect(hello.map(([data]) => data)).toEqual(
        Array.from({ length: 10 }, (_, i) => ({ hello: `Hello ${i}` })),
      );
      for (const stream of countdowns) {
        expect(stream.map((data) => data.countdown)).toEqual([4, 3, 2, 1, 0]);
      }
      expect(wss.clients!.size).toBe(1); // graphql-ws's dispose() walks them
    } finally {
      await client.dispose();
    }
  });
});
