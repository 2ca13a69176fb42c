// The conformance target: the echo handler of examples/echo.ts with its limits, served by the
// current runtime's adapter on a free port. (examples/echo.ts itself listens on import, so the
// handler and limits are restated here; keep them in step.)
import type { Limits } from "../../src/protocol/limits.ts";
import type { MessageHooks, WebSocketHandler } from "../../src/router/handler.ts";
import type { Server } from "../../src/server/options.ts";
import { serveForRuntime } from "./adapter_for_runtime.ts";

/** examples/echo.ts's limits: 64 MiB frames and messages, 131,072 fragments per message. */
export const ECHO_LIMITS: Readonly<Partial<Limits>> = Object.freeze({
  maxMessageSize: 64 * 1024 * 1024,
  maxFrameSize: 64 * 1024 * 1024,
  maxFragments: 131_072,
});

/** Sends every text and binary message back unchanged. */
export const echoHandler: WebSocketHandler = async (ws) => {
  for await (const message of ws) await ws.send(message);
};

/** The same echo as message hooks: each message sent back, the next held until it is sent. */
export const echoHooks: MessageHooks = {
  message: (ws, message) => ws.send(message),
};

/** Starts the echo server on 127.0.0.1 and a free port (with `echoHandler` unless told). */
export async function startEchoServer(
  handler: WebSocketHandler | MessageHooks = echoHandler,
): Promise<Server> {
  return await serveForRuntime(handler, {
    hostname: "127.0.0.1",
    port: 0,
    limits: ECHO_LIMITS,
  });
}
