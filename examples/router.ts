// The demo server of SERVER-CONTRACT.md: three WebSocket routes on one port, picked by path and,
// on /chat, by subprotocol. Real clients (headless Chromium, `ws`, undici, Deno's and Bun's
// clients, python `websockets`, `aiohttp`) are run against it.
//
//   deno run --allow-net --allow-env --allow-read examples/router.ts
//   bun examples/router.ts
//   tsx examples/router.ts
//
// Environment: HOST (default 127.0.0.1), PORT (default 8080; 0 picks a free port), and, for a
// second listener over TLS, TLS_PORT with TLS_CERT and TLS_KEY (PEM file paths); the TLS
// listener starts only when all three are set. Once a listener accepts connections its URL is
// printed on its own line, `LISTENING ws://HOST:PORT` (and `LISTENING wss://HOST:TLS_PORT`).
//
// With H2_PORT (0 picks a free port), TLS_CERT and TLS_KEY set, a third listener speaks HTTP/2
// and HTTP/1.1 on one TLS port (ALPN h2, http/1.1; H2-CONTRACT.md): browsers that load `GET /`
// (a small page) over h2 open their WebSockets as extended CONNECT streams on that same HTTP/2
// connection (RFC 8441). It prints `LISTENING h2://HOST:PORT`, or `H2 UNSUPPORTED: <why>` on a
// runtime whose HTTP/2 server cannot do extended CONNECT.
//
//   /echo      echoes every message; never selects a subprotocol
//   /chat      echoes every message; selects `chat` or `chat.v2`, whichever the client offers
//              first, and opens without a subprotocol when the client offers neither
//   /close-me  on the first message closes with 4001 "server bye" and waits for the client's
//              Close before closing TCP
//
// Every other path gets 404 before any upgrade; a plain HTTP request on a route gets 426.
//
// permessage-deflate (RFC 7692, SERVER-CONTRACT.md section 3) is accepted on every route, as
// serve() does by default: the server keeps no compression context between messages and
// compresses messages of 1 KiB or more.
import { readFileSync } from "node:fs";
import { env, loadServe, loadServeHttp2 } from "./_runtime.ts";
import { type ListenOptions, Router, type ServeOptions } from "../mod.ts";

const MiB = 1024 * 1024;

const router = new Router()
  .route("/echo", {
    async handler(ws) {
      // `send` resolves once the socket took the frame, so a slow reader slows the echo down
      // and nothing is dropped.
      for await (const message of ws) await ws.send(message);
    },
  })
  .route("/chat", {
    // Both listed; the router picks the first one in the client's offer (its preference).
    protocols: ["chat", "chat.v2"],
    // A client offering neither still connects, without a subprotocol.
    protocolRequired: false,
    async handler(ws) {
      for await (const message of ws) await ws.send(message);
    },
  })
  .route("/close-me", {
    async handler(ws) {
      // Messages after the first are read and dropped until the client's Close arrives; reading
      // them keeps the socket flowing, so that Close is not stuck behind unread data.
      let closing: Promise<unknown> | undefined;
      for await (const _message of ws) closing ??= ws.close(4001, "server bye");
      await closing;
    },
  });

const options: ServeOptions & ListenOptions = {
  hostname: env("HOST") ?? "127.0.0.1",
  port: Number(env("PORT") ?? 8080),
  // Clients send 16 MiB messages; 64 MiB leaves room and still bounds memory per connection.
  limits: { maxMessageSize: 64 * MiB, maxFrameSize: 64 * MiB },
  // Any page may connect. The Origin check (rfc6455#section-10.2) protects servers that trust
  // a browser's cookies; this demo has no cookies, sessions or data to steal, and the contract's
  // browser client is headless Chromium running a test page served from another origin (another
  // port, or no origin at all), which the default "same-origin" policy would refuse with 403.
  origins: "*",
  // SERVER-CONTRACT section 5: the server sends no pings of its own and never closes idle
  // connections, so the heartbeat (on by default) is off; the closing handshake may take 10 s.
  heartbeatInterval: 0,
  idleTimeout: 0,
  closeTimeout: 10_000,
};

const PAGE = "<!doctype html><meta charset=utf-8><title>wsflow over HTTP/2</title>" +
  "<p>WebSockets on this origin: /echo, /chat, /close-me.</p>\n";

const serve = await loadServe();
const server = await serve(router, options);
console.log(`LISTENING ws://${server.addr.hostname}:${server.addr.port}`);

const tlsPort = env("TLS_PORT");
const tlsCert = env("TLS_CERT");
const tlsKey = env("TLS_KEY");
if (tlsPort !== undefined && tlsCert !== undefined && tlsKey !== undefined) {
  // The same router, so the TLS listener serves the same routes with the same behaviour.
  const secure = await serve(router, {
    ...options,
    port: Number(tlsPort),
    tls: { cert: readFileSync(tlsCert, "utf8"), key: readFileSync(tlsKey, "utf8") },
  });
  console.log(`LISTENING wss://${secure.addr.hostname}:${secure.addr.port}`);
}

const h2Port = env("H2_PORT");
if (h2Port !== undefined && tlsCert !== undefined && tlsKey !== undefined) {
  const serveHttp2 = await loadServeHttp2();
  if (typeof serveHttp2 === "string") {
    console.log(`H2 UNSUPPORTED: ${serveHttp2}`);
  } else {
    // The same router again, plus a page on GET / so a browser can load the origin first.
    const h2 = await serveHttp2(router, {
      ...options,
      port: Number(h2Port),
      tls: { cert: readFileSync(tlsCert, "utf8"), key: readFileSync(tlsKey, "utf8") },
      fetch: (request) =>
        new URL(request.url).pathname === "/"
          ? new Response(PAGE, { headers: { "content-type": "text/html; charset=utf-8" } })
          : new Response("Not found\n", { status: 404 }),
    });
    console.log(`LISTENING h2://${h2.addr.hostname}:${h2.addr.port}`);
  }
}
