// acceptUpgrade, the server's one way in for an upgrade: a web Request and an in-memory byte
// pair, no sockets. A plain handler and a Router go through the same dispatch (the handler is
// the Router's catch-all route), so they give the same Origin and subprotocol answers.
import { describe, expect, it } from "vitest";
import type { HandlerContext, WebSocketHandler } from "../../src/router/handler.ts";
import { Router } from "../../src/router/router.ts";
import type { ByteStream } from "../../src/streams/byte_stream.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { acceptUpgrade } from "../../src/server/accept_upgrade.ts";
import { Admission } from "../../src/server/admission.ts";
import type { ErrorContext, ServeOptions } from "../../src/server/options.ts";
import { createServerContext } from "../../src/server/server_context.ts";
import { DEFAULT_LIMITS, resolveLimits } from "../../src/protocol/limits.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { closeCode, TEXT } from "../_helpers/memory_peer.ts";
import { peerAfter, readAnswer, readBody, upgradeRequest } from "../_helpers/memory_upgrade.ts";

const echo: WebSocketHandler = async (ws) => {
  for await (const message of ws) await ws.send(message);
};

/** Runs acceptUpgrade on one end of a pair; the other end is the client's. */
function accept(
  request: Request,
  handler: WebSocketHandler | Router,
  options: ServeOptions = {},
  rest?: Uint8Array,
): { client: ByteStream; done: Promise<void> } {
  const [server, client] = byteStreamPair();
  const context = createServerContext(handler, options);
  return { client, done: acceptUpgrade(request, server, { server: context, rest }) };
}

/** The status a handler (and a Router with the same meaning) answers `request` with. */
async function statusOf(
  request: Request,
  handler: WebSocketHandler | Router,
  options: ServeOptions = {},
): Promise<{ status: number; protocol: string | null }> {
  const { client, done } = accept(request, handler, options);
  const answer = await readAnswer(client);
  if (answer.response.status === 101) peerAfter(answer).closeTransport();
  else await readBody(answer);
  await done;
  return {
    status: answer.response.status,
    protocol: answer.response.headers.get("sec-websocket-protocol"),
  };
}

describe("acceptUpgrade", () => {
  it("rfc6455#section-4.2.2 answers a valid Request with 101 and runs a working connection", async () => {
    const { client, done } = accept(upgradeRequest("/chat?room=1"), echo);
    const answer = await readAnswer(client);
    expect(answer.response.status).toBe(101);
    expect(answer.response.headers.get("sec-websocket-accept")).toBe(
      "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    );
    const peer = peerAfter(answer);
    peer.send(TEXT, "hello");
    const frame = await peer.nextFrame();
    expect(new TextDecoder().decode(frame?.payload)).toBe("hello");
    peer.sendClose(1000);
    expect(closeCode(await peer.nextFrame())).toBe(1000);
    await done;
  });

  it("takes the bytes that followed the head as the first frames", async () => {
    // A masked text frame "hi" (rfc6455#section-5.7), sent with the handshake.
    const frame = new Uint8Array([0x81, 0x82, 0x37, 0xfa, 0x21, 0x3d, 0x5f, 0x93]);
    const { client, done } = accept(upgradeRequest(), echo, {}, frame);
    const answer = await readAnswer(client);
    const peer = peerAfter(answer);
    expect(new TextDecoder().decode((await peer.nextFrame())?.payload)).toBe("hi");
    peer.sendClose(1000);
    await peer.nextFrame();
    await done;
  });

  it("gives the handler the Request it was given, the connection a ws: URL", async () => {
    const request = upgradeRequest("/rooms/lobby?user=ada");
    let seen: HandlerContext | undefined;
    let connection: Connection | undefined;
    const { client, done } = accept(request, (ws, ctx) => {
      seen = ctx;
      connection = ws;
      return ws.close();
    });
    const answer = await readAnswer(client);
    const peer = peerAfter(answer);
    await peer.nextFrame();
    peer.sendClose(1000);
    await done;
    expect(seen?.request).toBe(request);
    expect(seen?.protocol).toBe("");
    expect(connection?.url.href).toBe("ws://localhost/rooms/lobby?user=ada");
    expect(connection?.headers.get("sec-websocket-key")).toBe(
      request.headers.get("sec-websocket-key"),
    );
  });

  it("rfc6455#section-4.2.1 refuses an invalid handshake with its status and reports it", async () => {
    const errors: ErrorContext["phase"][] = [];
    const request = upgradeRequest("/", { "Sec-WebSocket-Key": "short" });
    const { client, done } = accept(request, echo, {
      onError: (_e, ctx) => errors.push(ctx.phase),
    });
    const answer = await readAnswer(client);
    expect(answer.response.status).toBe(400);
    expect(await readBody(answer)).toContain("Sec-WebSocket-Key");
    await done;
    expect(errors).toEqual(["handshake"]);
  });

  it("answers an upgrade hook's Response as it is", async () => {
    const router = new Router().route("/private", {
      upgrade: () => new Response("log in first", { status: 401 }),
      handler: echo,
    });
    const { client, done } = accept(upgradeRequest("/private"), router);
    const answer = await readAnswer(client);
    expect(answer.response.status).toBe(401);
    expect(await readBody(answer)).toBe("log in first");
    await done;
  });

  it("refuses with 503 once the server is shutting down", async () => {
    const [server, client] = byteStreamPair();
    const admission = new Admission({});
    admission.shuttingDown = true;
    const context = createServerContext(echo, {}, admission);
    const done = acceptUpgrade(upgradeRequest(), server, { server: context });
    const answer = await readAnswer(client);
    expect(answer.response.status).toBe(503);
    await readBody(answer);
    await done;
    expect(admission.connections.size).toBe(0);
  });

  it("rfc6455#section-7.4.1 closes with 1011 and reports a handler that throws", async () => {
    const errors: ErrorContext["phase"][] = [];
    const { client, done } = accept(upgradeRequest(), () => {
      throw new Error("boom");
    }, { onError: (_e, ctx) => errors.push(ctx.phase) });
    const peer = peerAfter(await readAnswer(client));
    expect(closeCode(await peer.nextFrame())).toBe(1011);
    peer.sendClose(1011);
    await done;
    expect(errors).toEqual(["handler"]);
  });
});

describe("acceptUpgrade: one dispatch path for a handler and a Router", () => {
  // The same server meaning, said twice: a plain handler with server-wide options, and a
  // Router whose one catch-all route says the same.
  const handlerServer = (options: ServeOptions): [WebSocketHandler, ServeOptions] => [
    echo,
    options,
  ];
  const routerServer = (options: ServeOptions): [Router, ServeOptions] => {
    const { protocols, ...rest } = options;
    return [
      new Router().route("*", {
        protocols: protocols ?? [],
        protocolRequired: false,
        handler: echo,
      }),
      rest,
    ];
  };

  for (const [name, make] of [["handler", handlerServer], ["Router", routerServer]] as const) {
    it(`rfc6455#section-10.2 ${name}: same-origin by default, 403 for a foreign Origin`, async () => {
      const [handler, options] = make({});
      const foreign = upgradeRequest("/", { Origin: "https://evil.example" });
      const same = upgradeRequest("/", { Origin: "http://localhost" });
      const none = upgradeRequest("/");
      expect((await statusOf(foreign, handler, options)).status).toBe(403);
      expect((await statusOf(same, handler, options)).status).toBe(101);
      expect((await statusOf(none, handler, options)).status).toBe(101);
    });

    it(`rfc6455#section-10.2 ${name}: the origins option allows a listed origin`, async () => {
      const [handler, options] = make({ origins: ["https://app.example"] });
      const listed = upgradeRequest("/", { Origin: "https://app.example" });
      const other = upgradeRequest("/", { Origin: "https://other.example" });
      expect((await statusOf(listed, handler, options)).status).toBe(101);
      expect((await statusOf(other, handler, options)).status).toBe(403);
    });

    it(`rfc6455#section-4.2.2 ${name}: the client's first offered protocol the server speaks wins`, async () => {
      const [handler, options] = make({ protocols: ["chat", "chat.v2"] });
      const offer = (value: string): Request =>
        upgradeRequest("/", { "Sec-WebSocket-Protocol": value });
      expect(await statusOf(offer("mqtt, chat.v2, chat"), handler, options))
        .toEqual({ status: 101, protocol: "chat.v2" });
      expect(await statusOf(offer("mqtt"), handler, options))
        .toEqual({ status: 101, protocol: null });
      expect(await statusOf(upgradeRequest("/"), handler, options))
        .toEqual({ status: 101, protocol: null });
    });
  }

  it("a plain handler is told the chosen protocol", async () => {
    const protocols: string[] = [];
    const request = upgradeRequest("/", { "Sec-WebSocket-Protocol": "b, a" });
    const { client, done } = accept(request, (ws, ctx) => {
      protocols.push(ctx.protocol);
      return ws.close();
    }, { protocols: ["a", "b"] });
    const peer = peerAfter(await readAnswer(client));
    await peer.nextFrame();
    peer.sendClose(1000);
    await done;
    expect(protocols).toEqual(["b"]);
  });

  it("a plain handler takes a path with malformed percent-encoding, as it always did", async () => {
    expect((await statusOf(upgradeRequest("/%E0"), echo)).status).toBe(101);
  });
});

describe("the protocols option", () => {
  it("with a Router, a non-empty list is a TypeError instead of being ignored", () => {
    const router = new Router().route("/chat", { protocols: ["chat"], handler: echo });
    expect(() => createServerContext(router, { protocols: ["chat"] })).toThrow(TypeError);
    expect(() => createServerContext(router, { protocols: [] })).not.toThrow();
    expect(() => createServerContext(router, {})).not.toThrow();
  });

  it("rfc6455#section-4.1 with a handler, a protocol that is not a token is a TypeError", () => {
    expect(() => createServerContext(echo, { protocols: ["not a token"] })).toThrow(TypeError);
  });

  it("limits are checked once, when the server is made, and resolved for every connection", () => {
    expect(() => createServerContext(echo, { limits: { maxFrameSize: 0 } })).toThrow(RangeError);
    const limits = { maxMessageSize: 4096 };
    const server = createServerContext(echo, { limits });
    expect(server.options.limits).toEqual({ ...DEFAULT_LIMITS, maxMessageSize: 4096 });
    expect(resolveLimits(server.options.limits)).toBe(server.options.limits);
    expect(limits).toEqual({ maxMessageSize: 4096 }); // the caller's object is left as it was
  });

  it("a malformed origins option is a TypeError when the server is made", () => {
    expect(() => createServerContext(echo, { origins: ["nope"] })).toThrow(TypeError);
  });
});
