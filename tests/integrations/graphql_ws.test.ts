// graphqlWsRoute (wsflow/graphql): graphql-ws's own server (makeServer) on a wsflow route, on
// each runtime's own adapter, driven by graphql-ws's own client over loopback: queries and
// subscriptions, many at once on one connection; the route's subprotocol decides who gets in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient } from "graphql-ws";
import { makeServer } from "graphql-ws";
import { Router } from "../../mod.ts";
import {
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  type GraphQLWsExtra,
  graphqlWsRoute,
} from "../../src/integrations/graphql_ws.ts";
import { HandshakeError } from "../../src/protocol/errors.ts";
import type { Server } from "../../src/server/options.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { ClientWebSocket } from "../_helpers/ecosystem_client.ts";
import { roots, schema } from "../_helpers/graphql_schema.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

let server: Server;
let url: string;
const seen: string[] = [];

beforeAll(async () => {
  const router = new Router().route(
    "/graphql/:tenant",
    graphqlWsRoute(
      makeServer<Record<string, unknown> | undefined, GraphQLWsExtra<{ tenant: string }>>({
        schema,
        roots: roots(),
        onConnect: (ctx) => void seen.push(ctx.extra.params.tenant),
      }),
    ),
  );
  const { serve } = runtime === "deno"
    ? await import("../../src/adapters/deno.ts")
    : runtime === "bun"
    ? await import("../../src/adapters/bun.ts")
    : await import("../../src/adapters/node.ts");
  server = await serve(router, { hostname: "127.0.0.1", port: 0 });
  url = `ws://127.0.0.1:${server.addr.port}/graphql/acme`;
});

afterAll(async () => {
  await server.close();
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

describe(`graphqlWsRoute on ${runtime}, with graphql-ws's own client`, () => {
  it("answers a query and streams a subscription to completion", async () => {
    const client = createClient({ url, webSocketImpl: ClientWebSocket, retryAttempts: 0 });
    try {
      expect(await run(client, '{ hello(name: "x") }')).toEqual([{ hello: "Hello x" }]);
      expect(await run(client, "{ hello }")).toEqual([{ hello: "Hello world" }]);
      expect(await run(client, "subscription { countdown(from: 3) }")).toEqual([
        { countdown: 3 },
        { countdown: 2 },
        { countdown: 1 },
        { countdown: 0 },
      ]);
      expect(seen).toContain("acme"); // the route's params reach graphql-ws's ctx.extra
    } finally {
      await client.dispose();
    }
  });

  it("runs many operations at once over one connection", async () => {
    let sockets = 0;
    const client = createClient({
      url,
      webSocketImpl: ClientWebSocket,
      retryAttempts: 0,
      on: { connected: () => void sockets++ },
    });
    try {
      const queries = Array.from({ length: 20 }, (_, i) => run(client, `{ hello(name: "${i}") }`));
      const subscriptions = Array.from(
        { length: 10 },
        (_, i) => run<{ countdown: number }>(client, `subscription { countdown(from: ${i + 5}) }`),
      );
      const answers = await Promise.all(queries);
      expect(answers.map(([data]) => data)).toEqual(
        Array.from({ length: 20 }, (_, i) => ({ hello: `Hello ${i}` })),
      );
      const streams = await Promise.all(subscriptions);
      for (const [i, stream] of streams.entries()) {
        expect(stream.map((data) => data.countdown)).toEqual(
          Array.from({ length: i + 6 }, (_, k) => i + 5 - k),
        );
      }
      expect(sockets).toBe(1);
    } finally {
      await client.dispose();
    }
  });

  it("rfc6455#section-4.2.2: a client that offers no subprotocol, or another, is refused with 400", async () => {
    const { connect } = await loadClient();
    for (const protocols of [[], ["graphql-ws"]]) {
      const error = await connect(url, { protocols }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).status).toBe(400);
    }
    const ws = await connect(url, { protocols: [GRAPHQL_TRANSPORT_WS_PROTOCOL] });
    expect(ws.protocol).toBe(GRAPHQL_TRANSPORT_WS_PROTOCOL);
    await ws.close(1000);
  });

  it("closes with 4400 on a message graphql-ws cannot take, and with 4401 before connection_init", async () => {
    const { connect } = await loadClient();
    const ws = await connect(url, { protocols: [GRAPHQL_TRANSPORT_WS_PROTOCOL] });
    await ws.send("not json");
    expect((await ws.closed).code).toBe(4400);
    const early = await connect(url, { protocols: [GRAPHQL_TRANSPORT_WS_PROTOCOL] });
    await early.send(
      JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ hello }" } }),
    );
    expect((await early.closed).code).toBe(4401);
  });
});
