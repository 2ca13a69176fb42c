// serveHttp2Exchange over an in-memory HTTP/2 stream (a byte stream pair plus a recording
// `respond`): the runtime-free half of RFC 8441, on every runtime. What node:http2 adds on top
// is in tests/adapters/node_http2.test.ts.
import { describe, expect, it } from "vitest";
import { Router } from "../../src/router/router.ts";
import {
  type Http2Exchange,
  serveHttp2Exchange,
} from "../../src/server/extended_connect_transport.ts";
import type { ServeOptions } from "../../src/server/options.ts";
import { untilDone } from "../../src/server/served_connection.ts";
import { createServerContext } from "../../src/server/server_context.ts";
import type { ExtendedConnectRequest } from "../../src/protocol/extended_connect.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { encodeFrame } from "../_helpers/raw_client.ts";

const router = new Router()
  .route("/echo", {
    async handler(ws) {
      for await (const message of ws) await ws.send(message);
    },
  })
  .route("/hooked", {
    upgrade: () => new Response("go away", { status: 401, headers: { "www-authenticate": "x" } }),
    handler: (ws) => ws.close(),
  });

interface Answer {
  fields: readonly [string, string][];
  body: string | undefined;
}

function exchange(request: Partial<ExtendedConnectRequest>, headers: Record<string, string> = {}) {
  const [server, peer] = byteStreamPair();
  const answers: Answer[] = [];
  const ex: Http2Exchange = {
    ...server,
    request: {
      method: "CONNECT",
      protocol: "websocket",
      scheme: "https",
      path: "/echo",
      authority: "example.com",
      headers: new Headers({ "sec-websocket-version": "13", ...headers }),
      ...request,
    },
    respond(fields, body) {
      answers.push({
        fields,
        body: body === undefined ? undefined : new TextDecoder().decode(body),
      });
      return Promise.resolve();
    },
  };
  return { ex, peer, answers };
}

function serve(ex: Http2Exchange, options: ServeOptions = {}): Promise<void> {
  const server = createServerContext(router, options);
  return untilDone((done) => serveHttp2Exchange(ex, server, done));
}

describe("serveHttp2Exchange", () => {
  it("rfc8441#section-5 answers an extended CONNECT with :status 200 and runs the route on the stream", async () => {
    const { ex, peer, answers } = exchange({}, { "sec-websocket-protocol": "x" });
    const served = serve(ex);
    const writer = peer.writable.getWriter();
    await writer.write(encodeFrame(0x1, "hi"));
    const reader = peer.readable.getReader();
    const { value } = await reader.read();
    expect([...value!]).toEqual([0x81, 0x02, 0x68, 0x69]);
    expect(answers[0]).toEqual({ fields: [[":status", "200"]], body: undefined });
    await writer.write(encodeFrame(0x8, new Uint8Array([0x03, 0xe8])));
    while (!(await reader.read()).done);
    await writer.close();
    await served;
  });

  it("rfc8441#section-4 refuses on the stream: 404 without a route, the hook's own Response", async () => {
    const missing = exchange({ path: "/nope" });
    await serve(missing.ex);
    expect(missing.answers[0]!.fields[0]).toEqual([":status", "404"]);
    const hooked = exchange({ path: "/hooked" });
    await serve(hooked.ex);
    expect(hooked.answers[0]!.fields).toContainEqual(["www-authenticate", "x"]);
    expect(hooked.answers[0]).toMatchObject({ body: "go away" });
    expect(hooked.answers[0]!.fields[0]).toEqual([":status", "401"]);
  });

  it("a plain GET gets the fetch fallback, else 426 on a route and 404 elsewhere", async () => {
    const page = exchange({ method: "GET", protocol: undefined, path: "/" });
    await serve(page.ex, {
      fetch: () => new Response("<p>hi</p>", { headers: { "content-type": "text/html" } }),
    });
    expect(page.answers[0]!.fields).toEqual([
      [":status", "200"],
      ["content-type", "text/html"],
      ["content-length", "9"],
    ]);
    expect(page.answers[0]!.body).toBe("<p>hi</p>");
    const route = exchange({ method: "GET", protocol: undefined, path: "/echo" });
    await serve(route.ex);
    expect(route.answers[0]!.fields[0]).toEqual([":status", "426"]);
    const other = exchange({ method: "GET", protocol: undefined, path: "/other" });
    await serve(other.ex);
    expect(other.answers[0]!.fields[0]).toEqual([":status", "404"]);
  });

  it("rfc3986#section-3.2 refuses an :authority that would move the host into the path with 400", async () => {
    const { ex, answers } = exchange({ authority: "evil.example/x" });
    await serve(ex);
    expect(answers[0]!.fields[0]).toEqual([":status", "400"]);
  });
});
