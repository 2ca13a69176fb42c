// Run as a child process by tests/client/runtime_ca.test.ts: connects to the wss:// URL in its
// argument with no TLS options at all, through the adapter's `connect` and its `WebSocket`, so
// the only trust it has is what the runtime's standard CA settings give it. Prints
// `connect: <echo>` and `WebSocket: <echo>`, or `FAILED <message>` and exits 1.
import process from "node:process";
import { loadClient } from "./client_for_runtime.ts";

const url = process.argv[2]!;
const client = await loadClient();
try {
  const ws = await client.connect(url, { handshakeTimeout: 3_000 });
  await ws.send("over connect");
  for await (const message of ws) {
    console.log(`connect: ${message}`);
    break;
  }
  await ws.close(1000);
  const echo = await new Promise<string>((resolve, reject) => {
    const socket = new client.WebSocket(url, [], { handshakeTimeout: 3_000 });
    socket.onopen = () => socket.send("over WebSocket");
    socket.onmessage = (event) => {
      resolve(String(event.data));
      socket.close(1000);
    };
    socket.onclose = (event) => reject(new Error(`closed with ${event.code}`));
  });
  console.log(`WebSocket: ${echo}`);
  process.exit(0);
} catch (error) {
  console.log(`FAILED ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
