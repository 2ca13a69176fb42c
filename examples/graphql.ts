// GraphQL over WebSocket (../shared/ECOSYSTEM-CONTRACT.md section 1): the `graphql-ws`
// package's server on a wsflow route, subprotocol `graphql-transport-ws` on path /graphql, the
// same file on Deno, Bun and Node (no `ws` layer: `graphqlWsRoute` feeds graphql-ws's
// transport-neutral `makeServer`). `graphql` and `graphql-ws` are this example's dependencies,
// not wsflow's.
//
//   deno run --allow-net --allow-env --allow-read examples/graphql.ts
//   bun examples/graphql.ts
//   tsx examples/graphql.ts
//
// HOST (default 127.0.0.1) and PORT (default 8080; 0 picks a free port) come from the
// environment; `LISTENING ws://HOST:PORT` is printed once it accepts connections.
//
//   type Query { hello(name: String): String! }
//   type Subscription { countdown(from: Int!): Int! }
//
// A client that offers no subprotocol, or another one, gets the router's 400; any other path
// gets 404.
import { buildSchema } from "graphql";
import { makeServer } from "graphql-ws";
import { Router } from "../mod.ts";
import { graphqlWsRoute } from "../src/integrations/graphql_ws.ts";
import { env, loadServe } from "./_runtime.ts";

const schema = buildSchema(`
  type Query { hello(name: String): String! }
  type Subscription { countdown(from: Int!): Int! }
`);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const roots = {
  query: {
    hello: ({ name }: { name?: string | null }) => `Hello ${name ?? "world"}`,
  },
  subscription: {
    // One value every 10 ms, n down to 0, then the subscription completes. Each value is the
    // root of one result, so it carries the field by name.
    countdown: async function* ({ from }: { from: number }) {
      for (let n = from; n >= 0; n--) {
        yield { countdown: n };
        if (n > 0) await sleep(10);
      }
    },
  },
};

const router = new Router().route("/graphql", graphqlWsRoute(makeServer({ schema, roots })));

const serve = await loadServe();
const server = await serve(router, {
  hostname: env("HOST") ?? "127.0.0.1",
  port: Number(env("PORT") ?? 8080),
});
console.log(`LISTENING ws://${server.addr.hostname}:${server.addr.port}`);
