// wsflow servers and clients for the permessage-deflate tests, on the current runtime's own
// adapter: an echo server (or a Router) with chosen perMessageDeflate options, and the
// adapter's `connect`.
import type { ListenOptions } from "../../src/server/listener.ts";
import type { ConnectOptions } from "../../src/client/connect.ts";
import type { Limits } from "../../src/protocol/limits.ts";
import type { Router } from "../../src/router/router.ts";
import type { WebSocketHandler } from "../../src/router/handler.ts";
import type { ServeOptions, Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { runtime } from "./adapter_for_runtime.ts";
import { withTimeout } from "./with_timeout.ts";

/** 64 MiB messages and frames: room for every round trip here. */
export const BIG_LIMITS: Readonly<Partial<Limits>> = Object.freeze({
  maxMessageSize: 64 * 1024 * 1024,
  maxFrameSize: 64 * 1024 * 1024,
});

/** Sends every message back unchanged. */
export const echo: WebSocketHandler = async (ws) => {
  for await (const message of ws) await ws.send(message);
};

type Serve = (
  handler: WebSocketHandler | Router,
  options?: ServeOptions & ListenOptions,
) => Promise<Server>;

async function loadServe(): Promise<Serve> {
  switch (runtime) {
    case "deno":
      return (await import("../../src/adapters/deno.ts")).serve;
    case "bun":
      return (await import("../../src/adapters/bun.ts")).serve;
    default:
      return (await import("../../src/adapters/node.ts")).serve;
  }
}

/** Serves `handler` (or a Router) on 127.0.0.1 and a free port with this runtime's adapter. */
export async function startServer(
  handler: WebSocketHandler | Router,
  options: ServeOptions & ListenOptions = {},
): Promise<Server> {
  const serve = await loadServe();
  return await serve(handler, {
    hostname: "127.0.0.1",
    port: 0,
    closeTimeout: 2_000,
    heartbeatInterval: 0,
    ...options,
  });
}

/** This runtime's `connect`, bounded. */
export async function connectClient(
  url: string,
  options: ConnectOptions = {},
): Promise<Connection> {
  const adapter = runtime === "deno"
    ? await import("../../src/adapters/deno.ts")
    : runtime === "bun"
    ? await import("../../src/adapters/bun.ts")
    : await import("../../src/adapters/node.ts");
  return await withTimeout(
    adapter.connect(url, { handshakeTimeout: 5_000, closeTimeout: 2_000, ...options }),
    6_000,
    `connect to ${url}`,
  );
}

/** Reads the next message from a connection, bounded. */
export async function nextMessage(
  ws: Connection,
  what: string,
  ms = 10_000,
): Promise<string | Uint8Array> {
  const iterator = ws[Symbol.asyncIterator]();
  const result = await withTimeout(iterator.next(), ms, what);
  if (result.done) throw new Error(`The connection closed before ${what}`);
  return result.value;
}

/** `ws://127.0.0.1:<port><path>` for a server. */
export function urlOf(server: Server, path = "/"): string {
  return `ws://127.0.0.1:${server.addr.port}${path}`;
}

/**
 * Starts sending without waiting. The returned promise is already handled, so a send that fails
 * because the test's connection fails (which the test checks otherwise) is no unhandled
 * rejection; await it to check the send itself.
 */
export function startSend(ws: Connection, message: string | Uint8Array): Promise<void> {
  const sending = ws.send(message);
  sending.catch(() => {});
  return sending;
}
