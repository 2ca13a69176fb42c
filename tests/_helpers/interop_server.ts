// The server side of the interop suites (tests/interop/): a wsflow server on the current
// runtime's adapter that real WebSocket clients talk to. It speaks the subprotocols "chat.v2"
// and "chat", and routes by path:
//
//   /            echoes every message
//   /protocol    first sends "protocol:<negotiated subprotocol>", then echoes
//   /close-me    closes at once with 4001 "server bye"
//
// A connection opened with `?id=<name>` records how it ended on the server, for tests that
// check the server's side of a closing handshake.
import { afterAll, beforeAll } from "vitest";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import type { Server } from "../../src/server/options.ts";
import { serveForRuntime } from "./adapter_for_runtime.ts";
import { withTimeout } from "./with_timeout.ts";

/** The subprotocols the interop server speaks, in its own order. */
export const SERVER_PROTOCOLS: readonly string[] = ["chat.v2", "chat"];

/** The interop server for one test file. */
export interface InteropTarget {
  /** `ws://127.0.0.1:<port><path>` (after `beforeAll`). */
  url(path?: string): string;
  /** How the server saw the connection opened with `?id=<id>` end. */
  serverClosed(id: string): Promise<CloseEvent>;
}

/** Registers hooks in the enclosing `describe` that start and stop the interop server. */
export function useInteropServer(): InteropTarget {
  let server: Server | undefined;
  const closed = new Map<string, Promise<CloseEvent>>();
  beforeAll(async () => {
    server = await serveForRuntime(async (ws, { request, protocol }) => {
      const url = new URL(request.url);
      const id = url.searchParams.get("id");
      if (id !== null) closed.set(id, ws.closed);
      if (url.pathname === "/close-me") {
        await ws.close(4001, "server bye");
        return;
      }
      if (url.pathname === "/protocol") await ws.send(`protocol:${protocol}`);
      for await (const message of ws) await ws.send(message);
    }, {
      hostname: "127.0.0.1",
      port: 0,
      protocols: SERVER_PROTOCOLS,
      closeTimeout: 2_000,
    });
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    url(path = "/"): string {
      if (server === undefined) throw new Error("The interop server is not running");
      return `ws://127.0.0.1:${server.addr.port}${path}`;
    },
    async serverClosed(id: string): Promise<CloseEvent> {
      const event = closed.get(id);
      if (event === undefined) throw new Error(`No connection with id ${id} reached the server`);
      return await withTimeout(event, 5_000, `the server's side of connection ${id} closes`);
    },
  };
}
