// Interop: Bun's built-in WebSocket client against a wsflow server on Bun's adapter. Beyond
// the standard API, Bun's client can send a Ping (`ws.ping()`) and reports Pongs as "pong"
// events.
import { describe, it } from "vitest";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { runWebSocketClientSuite } from "../_helpers/web_socket_client_suite.ts";

/** The part of Bun's client API that the web standard lacks. */
interface BunPing {
  ping(data?: string): void;
}

if (runtime === "bun") {
  runWebSocketClientSuite("Bun's WebSocket client", {
    offersDeflate: true,
    ping: (ws, data) =>
      new Promise<string>((resolve) => {
        ws.addEventListener("pong", (event) => {
          const payload: unknown = (event as MessageEvent).data;
          resolve(
            typeof payload === "string"
              ? payload
              : new TextDecoder().decode(payload as ArrayBuffer | Uint8Array),
          );
        }, { once: true });
        (ws as unknown as BunPing).ping(data);
      }),
  });
} else {
  describe("interop: Bun's WebSocket client", () => {
    it.skip(`runs under Bun only: it tests Bun's own client; this is ${runtime}`, () => {});
  });
}
