// Interop: Deno's built-in WebSocket client against a wsflow server on Deno's adapter.
import { describe, it } from "vitest";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { runWebSocketClientSuite } from "../_helpers/web_socket_client_suite.ts";

if (runtime === "deno") {
  runWebSocketClientSuite("Deno's WebSocket client", {
    offersDeflate: false,
    noPingReason: "Deno's WebSocket client has no ping API (it only answers pings)",
  });
} else {
  describe("interop: Deno's WebSocket client", () => {
    it.skip(`runs under Deno only: it tests Deno's own client; this is ${runtime}`, () => {});
  });
}
