// Picks the adapter of the runtime the tests run on, so one test file serves each runtime with
// its own sockets. Only that runtime's adapter is loaded: the others name globals it lacks.
import type { ListenOptions } from "../../src/server/listener.ts";
import type { MessageHooks, WebSocketHandler } from "../../src/router/handler.ts";
import type { Router } from "../../src/router/router.ts";
import type { ServeOptions, Server } from "../../src/server/options.ts";

/** The runtimes the suite runs under. */
export type RuntimeName = "deno" | "bun" | "node";

/** The runtime these tests run under. */
export const runtime: RuntimeName = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** Every adapter's `serve`. */
export type ServeFunction = (
  handler: WebSocketHandler | MessageHooks | Router,
  options?: ServeOptions & ListenOptions,
) => Promise<Server>;

/** Loads the current runtime's adapter. */
export async function loadServe(): Promise<ServeFunction> {
  switch (runtime) {
    case "deno":
      return (await import("../../src/adapters/deno.ts")).serve;
    case "bun":
      return (await import("../../src/adapters/bun.ts")).serve;
    default:
      return (await import("../../src/adapters/node.ts")).serve;
  }
}

/** Serves `handler` with the current runtime's adapter. */
export async function serveForRuntime(
  handler: WebSocketHandler | MessageHooks | Router,
  options: ServeOptions & ListenOptions = {},
): Promise<Server> {
  const serve = await loadServe();
  return await serve(handler, options);
}
