// examples/graphql.ts against ECOSYSTEM-CONTRACT.md section 1: the example runs as a child
// process of the runtime under test, as a user starts it, and graphql-ws's own client checks
// the schema (hello, countdown), many operations at once on one connection, connection_init,
// and the router's refusals for another subprotocol or path.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, createClient } from "graphql-ws";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { ClientWebSocket } from "../_helpers/ecosystem_client.ts";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

let example: ExampleProcess;
let base: string;

beforeAll(async () => {
  example = await startExample("examples/graphql.ts", { HOST: "127.0.0.1", PORT: "0" });
  base = example.urls[0]!;
});

afterAll(async () => {
  await example?.stop();
});

function run<T>(client: Client, query: string, variables?: Record<string, unknown>) {
  return withTimeout(
    new Promise<T[]>((resolve, reject) => {
      const results: T[] = [];
      client.subscribe<T>({ query, ...(variables ? { variables } : {}) }, {
        next: (result) => void results.push(result.data as T),
        error: reject,
        complete: () => resolve(results),
      });
    }),
    10_000,
    query,
  );
}

describe("examples/graphql.ts (ECOSYSTEM-CONTRACT.md section 1)", () => {
  it("prints LISTENING ws://HOST:PORT", () => {
    expect(base).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
  });

  it("serves hello and countdown, many operations at once over one connection", async () => {
    let connections = 0;
    const client = createClient({
      url: `${base}/graphql`,
      webSocketImpl: ClientWebSocket,
      retryAttempts: 0,
      on: { connected: () => void connections++ },
    });
    try {
      const [named, plain, countdowns] = await Promise.all([
        run(client, 'query { hello(name: "x") }'),
        run(client, "query { hello }"),
        Promise.all(
          [3, 5, 0].map((from) =>
            run<{ countdown: number }>(client, "subscription ($n: Int!) { countdown(from: $n) }", {
              n: from,
            })
          ),
        ),
      ]);
      expect(named).toEqual([{ hello: "Hello x" }]);
      expect(plain).toEqual([{ hello: "Hello world" }]);
      expect(countdowns.map((values) => values.map((v) => v.countdown))).toEqual([
        [3, 2, 1, 0],
        [5, 4, 3, 2, 1, 0],
        [0],
      ]);
      expect(connections).toBe(1);
    } finally {
      await client.dispose();
    }
  });

  it("requires connection_init before an operation (4401)", async () => {
    const { connect } = await loadClient();
    const ws = await connect(`${base}/graphql`, { protocols: ["graphql-transport-ws"] });
    await ws.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query: "{ hello }" } }));
    expect((await ws.closed).code).toBe(4401);
  });

  it("refuses a client that offers no subprotocol or another (400), and other paths (404)", async () => {
    const { connect } = await loadClient();
    for (
      const [path, protocols, status] of [
        ["/graphql", [], 400],
        ["/graphql", ["graphql-ws"], 400],
        ["/elsewhere", ["graphql-transport-ws"], 404],
      ] as const
    ) {
      const error = await connect(`${base}${path}`, { protocols }).then(() => null, (e) => e);
      expect(error).toBeInstanceOf(HandshakeError);
      expect((error as HandshakeError).status).toBe(status);
    }
  });
});
