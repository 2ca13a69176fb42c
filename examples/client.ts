// A command-line client (../shared/CLIENT-CONTRACT.md section 1): connects to the URL given as
// its argument, sends each line read from stdin as a text message, and prints every message
// received on stdout (a binary one as `<N bytes>`). Status goes to stderr, one event a line:
// `OPEN URL`, `CLOSED CODE [REASON]`, `RECONNECTING in MS ms (attempt N)`, `DROPPED N`,
// `GAVE UP ...`.
//
//   deno run --allow-net --allow-env --allow-read examples/client.ts [--reconnect] ws://127.0.0.1:8080/
//   bun examples/client.ts [--reconnect] ws://127.0.0.1:8080/
//   tsx examples/client.ts [--reconnect] ws://127.0.0.1:8080/
//
// CA_FILE names a PEM file of extra trusted CAs for wss://. HTTPS_PROXY (wss://) or HTTP_PROXY
// (ws://), upper or lower case, tunnel through an HTTP proxy with CONNECT unless NO_PROXY
// matches the host; credentials go in the proxy URL (http://user:password@proxy:3128).
//
// Without --reconnect the client exits when the connection closes: 0 after a clean close with
// 1000 (end of input sends one), 1 otherwise, and 1 when it cannot connect (`GAVE UP` and why).
// With --reconnect it reconnects after 1001, 1006, 1011-1014, a 429/5xx answer (honouring
// Retry-After) or a refused connection, with backoff and jitter; it gives up (exit 1) after
// other close codes and 4xx answers. Lines typed while disconnected are kept (at most 1,000,
// oldest dropped first, reported by `DROPPED N`) and sent in order on the next connection; a
// line already written to a connection that broke is not sent again. End of input sends what
// is kept, then closes with 1000 and exits 0.
import process from "node:process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Connection, Message } from "../mod.ts";
import { env, loadConnect, loadReconnect } from "./_runtime.ts";

const args = process.argv.slice(2);
const reconnecting = args[0] === "--reconnect";
const url = reconnecting ? args[1] : args[0];
if (url === undefined) {
  console.error("usage: client.ts [--reconnect] <ws:// or wss:// URL>");
  process.exit(2);
}

const caFile = env("CA_FILE");
const tls = caFile === undefined ? {} : { tls: { ca: readFileSync(caFile, "utf8") } };
const lines = createInterface({ input: process.stdin });
// Iterate from the start: lines typed before the connection opens are kept, not missed.
const lineIterator = lines[Symbol.asyncIterator]();
const input: AsyncIterable<string> = { [Symbol.asyncIterator]: () => lineIterator };
const status = (line: string): void => console.error(line);
const print = (message: Message): void =>
  console.log(typeof message === "string" ? message : `<${message.length} bytes>`);
const closedLine = (code: number, reason: string): string =>
  `CLOSED ${code}${reason ? ` ${reason}` : ""}`;

if (reconnecting) {
  const reconnect = await loadReconnect();
  const ws = reconnect(url, tls);
  ws.on("open", ({ url }) => status(`OPEN ${url}`));
  ws.on("close", ({ code, reason }) => status(closedLine(code, reason)));
  ws.on("reconnecting", ({ delay, attempt }) => {
    status(`RECONNECTING in ${delay} ms (attempt ${attempt})`);
  });
  ws.on("dropped", ({ messages }) => status(`DROPPED ${messages.length}`));
  ws.on("gave-up", ({ cause }) => {
    const why = cause.kind === "close"
      ? closedLine(cause.code, cause.reason)
      : cause.kind === "handshake"
      ? `${cause.status}: ${cause.error.message}`
      : String((cause.error as Error)?.message ?? cause.error);
    status(`GAVE UP ${why}`);
  });
  void (async () => {
    for await (const line of input) await ws.send(line);
    // End of input: what is kept goes out on the next connection first.
    while (ws.queued > 0 && ws.state !== "closed") {
      await new Promise<void>((resolve) => {
        const off = ws.on("state", () => {
          off();
          resolve();
        });
      });
    }
    await ws.close(1000);
  })().catch((error: unknown) => status(`GAVE UP ${(error as Error).message}`));
  for await (const message of ws) print(message);
  const end = await ws.closed;
  lines.close();
  process.exit(end.reason === "closed" ? 0 : 1);
} else {
  const connect = await loadConnect();
  let ws: Connection;
  try {
    ws = await connect(url, tls);
  } catch (error) {
    status(`GAVE UP ${(error as Error).message}`);
    process.exit(1);
  }
  status(`OPEN ${ws.url.href}`);
  void (async () => {
    for await (const line of input) await ws.send(line);
    await ws.close(1000);
  })().catch(() => {
    // the connection closed first; `closed` below reports how
  });
  for await (const message of ws) print(message);
  const { code, reason, wasClean } = await ws.closed;
  status(closedLine(code, reason));
  lines.close();
  process.exit(wasClean && code === 1000 ? 0 : 1);
}
