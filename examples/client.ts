// A command-line client: connects to the URL given as its argument, sends each line read from
// stdin as a text message, prints every message received, and exits when the connection
// closes. End of input closes it with 1000; a wsflow server answers the lines that arrived
// before that Close first, other servers may not.
//
//   deno run --allow-net --allow-env examples/client.ts ws://127.0.0.1:8080/
//   bun examples/client.ts ws://127.0.0.1:8080/
//   tsx examples/client.ts ws://127.0.0.1:8080/
//
// For wss:// with a private CA, name its PEM file in CA_FILE (Deno also needs --allow-read).
import process from "node:process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { env, loadConnect } from "./_runtime.ts";

const url = process.argv[2];
if (url === undefined) {
  console.error("usage: client.ts <ws:// or wss:// URL>");
  process.exit(2);
}

const connect = await loadConnect();
const caFile = env("CA_FILE");
const ws = await connect(
  url,
  caFile === undefined ? {} : {
    tls: { ca: readFileSync(caFile, "utf8") },
  },
);
console.error(`connected to ${ws.url.href}${ws.protocol ? ` (${ws.protocol})` : ""}`);

const lines = createInterface({ input: process.stdin });
void (async () => {
  for await (const line of lines) await ws.send(line);
  await ws.close(1000);
})().catch(() => {
  // the connection closed first; `closed` below reports how
});

for await (const message of ws) {
  console.log(typeof message === "string" ? message : `<${message.length} bytes>`);
}
const { code, reason } = await ws.closed;
console.error(`closed: ${code}${reason ? ` ${reason}` : ""}`);
lines.close();
process.exit(0);
