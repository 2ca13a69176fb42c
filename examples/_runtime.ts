// Picks the adapter for the runtime the example runs on, so one file runs on Deno, Bun and
// Node alike. Each adapter is its own entry point; only the one for this runtime is loaded.
// Like the examples, it imports only public entry points: "../mod.ts" is "wsflow" (or
// "@wsflow/wsflow"), "../src/adapters/node.ts" is "wsflow/node", and so on.
import type {
  Connection,
  ConnectOptions,
  ListenOptions,
  ReconnectingConnection,
  ReconnectOptions,
  Router,
  ServeOptions,
  Server,
  UrlSource,
  WebSocketHandler,
} from "../mod.ts";

/** `serve` of whichever adapter fits the current runtime. */
export type Serve = (
  handler: WebSocketHandler | Router,
  options?: ServeOptions & ListenOptions,
) => Promise<Server>;

/** The name of the current runtime. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** Loads the adapter for the current runtime. */
export async function loadServe(): Promise<Serve> {
  switch (runtime) {
    case "deno":
      return (await import("../src/adapters/deno.ts")).serve;
    case "bun":
      return (await import("../src/adapters/bun.ts")).serve;
    default:
      return (await import("../src/adapters/node.ts")).serve;
  }
}

/**
 * `serveHttp2` (WebSockets over HTTP/2, RFC 8441), or why this runtime cannot serve them. It is
 * wsflow/node's on every runtime: Deno and Bun serve it through their own `node:http2`, which
 * does extended CONNECT (see README's runtime table); wsflow/deno and wsflow/bun have none.
 */
export async function loadServeHttp2(): Promise<Serve | string> {
  try {
    const http2 = await import("node:http2");
    if (typeof http2.createServer !== "function") return "node:http2 has no server here";
    return (await import("../src/adapters/node.ts")).serveHttp2;
  } catch (error) {
    return `node:http2 cannot be loaded: ${error instanceof Error ? error.message : error}`;
  }
}

/** `connect` of whichever adapter fits the current runtime. */
export type Connect = (url: string | URL, options?: ConnectOptions) => Promise<Connection>;

/** Loads the client side of the adapter for the current runtime. */
export async function loadConnect(): Promise<Connect> {
  switch (runtime) {
    case "deno":
      return (await import("../src/adapters/deno.ts")).connect;
    case "bun":
      return (await import("../src/adapters/bun.ts")).connect;
    default:
      return (await import("../src/adapters/node.ts")).connect;
  }
}

/** `reconnect` of whichever adapter fits the current runtime. */
export type Reconnect = (url: UrlSource, options?: ReconnectOptions) => ReconnectingConnection;

/** Loads the reconnecting client of the adapter for the current runtime. */
export async function loadReconnect(): Promise<Reconnect> {
  switch (runtime) {
    case "deno":
      return (await import("../src/adapters/deno.ts")).reconnect;
    case "bun":
      return (await import("../src/adapters/bun.ts")).reconnect;
    default:
      return (await import("../src/adapters/node.ts")).reconnect;
  }
}

/** Reads an environment variable on any runtime. */
export function env(name: string): string | undefined {
  const deno = (globalThis as { Deno?: { env: { get(name: string): string | undefined } } }).Deno;
  if (deno !== undefined) return deno.env.get(name);
  return (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[
    name
  ];
}
