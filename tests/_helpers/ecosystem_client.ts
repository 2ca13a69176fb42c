// The WebSocket class the libraries' own clients are given: the runtime's own on Deno and Bun,
// the `ws` package on Node 20 (which has no WebSocket). Neither is wsflow's.
import WsPackage from "ws";

/** A WHATWG-shaped WebSocket constructor that no one here wrote. */
// deno-lint-ignore no-explicit-any
export const ClientWebSocket: any = (globalThis as { WebSocket?: unknown }).WebSocket ?? WsPackage;
