import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { parseTokenList } from "../../src/protocol/header_lists.ts";
import type { Handler } from "../../src/router/handler.ts";
import { type RouteFound, type RouteMatch, Router } from "../../src/router/router.ts";

const noop: Handler<unknown, unknown> = () => {};

/** An upgrade request; `protocols` are `Sec-WebSocket-Protocol` field lines, one per entry. */
function upgrade(path: string, protocols: string[] = [], headers: HeadersInit = {}): Request {
  const fields = new Headers(headers);
  for (const line of protocols) fields.append("sec-websocket-protocol", line);
  return new Request(`http://localhost${path}`, { headers: fields });
}

/** The client's offer as a server reads it: every field line combined, then tokenized. */
function offer(request: Request): string[] {
  return parseTokenList(request.headers.get("sec-websocket-protocol") ?? "");
}

function match(router: Router, path: string, protocols: string[] = []): RouteMatch {
  const request = upgrade(path, protocols);
  return router.match(request, offer(request));
}

function found(router: Router, path: string, protocols: string[] = []): RouteFound {
  const result = match(router, path, protocols);
  if (result.kind !== "found") throw new Error(`Expected a route, got ${result.error.message}`);
  return result;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("Expected an error, none was thrown");
}

describe("Router: paths", () => {
  it("matches exact paths and gives params", () => {
    const echo: Handler<unknown, unknown> = () => {};
    const room: Handler<unknown, unknown> = () => {};
    const router = new Router()
      .route("/echo", { handler: echo })
      .route("/rooms/:room/:user", { handler: room });
    expect(found(router, "/echo").route.handler).toBe(echo);
    expect(found(router, "/echo").params).toEqual({});
    const result = found(router, "/rooms/lobby/ada");
    expect(result.route.handler).toBe(room);
    expect(result.params).toEqual({ room: "lobby", user: "ada" });
    expect(result.route.pattern.source).toBe("/rooms/:room/:user");
  });

  it("percent-decodes params and matches literals after decoding", () => {
    const router = new Router()
      .route("/rooms/:room", { handler: noop })
      .route("/café", { handler: noop });
    expect(found(router, "/rooms/caf%C3%A9%2Fbar%20baz").params).toEqual({ room: "café/bar baz" });
    expect(found(router, "/caf%C3%A9").route.pattern.source).toBe("/café");
  });

  it("ignores the query string", () => {
    const router = new Router().route("/echo", { handler: noop });
    expect(found(router, "/echo?token=a%2Fb").params).toEqual({});
  });

  it("is case-sensitive and strict about trailing slashes", () => {
    const router = new Router().route("/echo", { handler: noop });
    expect(match(router, "/Echo").kind).toBe("not-found");
    expect(match(router, "/echo/").kind).toBe("not-found");
  });

  it("answers an unknown path with a 404 HandshakeError", () => {
    const router = new Router().route("/echo", { handler: noop });
    const result = match(router, "/nope");
    expect(result.kind).toBe("not-found");
    if (result.kind === "found") return;
    expect(result.error).toBeInstanceOf(HandshakeError);
    expect(result.error.status).toBe(404);
    expect(result.error.message).toBe("Cannot upgrade: no WebSocket route for path /nope");
    expect(result.supported).toEqual([]);
    expect(match(new Router(), "/").kind).toBe("not-found");
  });

  it("answers a path with malformed percent-encoding with 404", () => {
    const router = new Router().route("/rooms/:room", { handler: noop });
    expect(match(router, "/rooms/%E0%A4").kind).toBe("not-found");
  });

  it("hasPath tells a route's path (426 for plain HTTP) from an unknown one (404)", () => {
    const router = new Router()
      .route("/rpc", { protocols: ["mqtt"], handler: noop })
      .route("/files/*", { handler: noop });
    expect(router.hasPath("/rpc")).toBe(true);
    expect(router.hasPath("/files/a/b")).toBe(true);
    expect(router.hasPath("/files/")).toBe(true);
    expect(router.hasPath("/files")).toBe(false);
    expect(router.hasPath("/nope")).toBe(false);
    expect(router.hasPath("/files/%E0")).toBe(false);
    expect(new Router().route("*", { handler: noop }).hasPath("/anything/at/all")).toBe(true);
  });
});

describe("Router: precedence (most specific pattern wins, segment by segment from the left)", () => {
  const exact: Handler<unknown, unknown> = () => {};
  const param: Handler<unknown, unknown> = () => {};
  const rest: Handler<unknown, unknown> = () => {};
  const anything: Handler<unknown, unknown> = () => {};
  // Added least specific first, to show that the order of `route` calls does not matter.
  const router = new Router()
    .route("*", { handler: anything })
    .route("/rooms/*", { handler: rest })
    .route("/rooms/:room", { handler: param })
    .route("/rooms/new", { handler: exact });

  it("an exact route wins over a param route", () => {
    expect(found(router, "/rooms/new").route.handler).toBe(exact);
  });

  it("a param route wins over a rest route", () => {
    expect(found(router, "/rooms/lobby").route.handler).toBe(param);
    expect(found(router, "/rooms/lobby").params).toEqual({ room: "lobby" });
  });

  it("a rest route wins over *", () => {
    expect(found(router, "/rooms/lobby/ada").route.handler).toBe(rest);
    expect(found(router, "/rooms/lobby/ada").params).toEqual({ "*": "lobby/ada" });
    expect(found(router, "/rooms/").route.handler).toBe(rest);
  });

  it("* takes the rest", () => {
    expect(found(router, "/").route.handler).toBe(anything);
    expect(found(router, "/rooms").route.handler).toBe(anything);
    expect(found(router, "/other/path").params).toEqual({ "*": "other/path" });
  });

  it("the leftmost literal decides between params in different places", () => {
    const left: Handler<unknown, unknown> = () => {};
    const right: Handler<unknown, unknown> = () => {};
    const mixed = new Router()
      .route("/a/:y/c", { handler: left })
      .route("/a/b/:x", { handler: right });
    expect(found(mixed, "/a/b/c").route.handler).toBe(right);
    expect(found(mixed, "/a/z/c").route.handler).toBe(left);
  });

  it("does not fall through to a less specific pattern when the subprotocol does not fit", () => {
    const strict = new Router()
      .route("*", { handler: anything })
      .route("/rpc", { protocols: ["mqtt"], handler: noop });
    const result = match(strict, "/rpc", ["chat"]);
    expect(result.kind).toBe("no-protocol");
  });
});

describe("Router: subprotocol selection", () => {
  const jsonRpc: Handler<unknown, unknown> = () => {};
  const mqtt: Handler<unknown, unknown> = () => {};
  const rpc = (): Router =>
    new Router()
      .route("/rpc", { protocols: ["jsonrpc.v2"], handler: jsonRpc })
      .route("/rpc", { protocols: ["mqtt", "mqttv3.1"], handler: mqtt });

  it("rfc6455#section-4.2.2: the client's first offered protocol that a route speaks wins", () => {
    const router = new Router().route("/chat", { protocols: ["chat", "chat.v2"], handler: noop });
    expect(found(router, "/chat", ["chat.v2, chat"]).protocol).toBe("chat.v2");
    expect(found(router, "/chat", ["chat, chat.v2"]).protocol).toBe("chat");
    expect(found(router, "/chat", ["x, chat.v2, chat"]).protocol).toBe("chat.v2");
  });

  it("rfc6455#section-4.2.2: with two routes on a path, the client's order picks the route", () => {
    const router = rpc();
    const first = found(router, "/rpc", ["mqtt, jsonrpc.v2"]);
    expect([first.route.handler, first.protocol]).toEqual([mqtt, "mqtt"]);
    const second = found(router, "/rpc", ["jsonrpc.v2, mqtt"]);
    expect([second.route.handler, second.protocol]).toEqual([jsonRpc, "jsonrpc.v2"]);
    const third = found(router, "/rpc", ["unknown, mqttv3.1, jsonrpc.v2"]);
    expect([third.route.handler, third.protocol]).toEqual([mqtt, "mqttv3.1"]);
  });

  it('rfc6455#section-4.2.2: "a,b", "a, b" and two field lines are the same offer', () => {
    const router = rpc();
    const offers = [["mqtt,jsonrpc.v2"], ["mqtt, jsonrpc.v2"], ["mqtt", "jsonrpc.v2"], [
      " mqtt ,, jsonrpc.v2 ",
    ]];
    for (const lines of offers) {
      const result = found(router, "/rpc", lines);
      expect([result.route.handler, result.protocol]).toEqual([mqtt, "mqtt"]);
    }
    for (const lines of [["jsonrpc.v2,mqtt"], ["jsonrpc.v2, mqtt"], ["jsonrpc.v2", "mqtt"]]) {
      const result = found(router, "/rpc", lines);
      expect([result.route.handler, result.protocol]).toEqual([jsonRpc, "jsonrpc.v2"]);
    }
  });

  it("rfc6455#section-4.2.2: protocols compare case-sensitively", () => {
    const router = new Router().route("/chat", { protocols: ["chat"], handler: noop });
    expect(match(router, "/chat", ["Chat"]).kind).toBe("no-protocol");
  });

  it("rfc6455#section-4.2.2: required protocols with no overlap give 400 naming them", () => {
    const result = match(rpc(), "/rpc", ["graphql-ws, chat"]);
    expect(result.kind).toBe("no-protocol");
    if (result.kind === "found") return;
    expect(result.error).toBeInstanceOf(HandshakeError);
    expect(result.error.status).toBe(400);
    expect(result.error.message).toBe(
      "Cannot upgrade: /rpc requires one of the subprotocols jsonrpc.v2, mqtt, mqttv3.1; " +
        "offered: graphql-ws, chat (rfc6455#section-4.2.2)",
    );
    expect(result.supported).toEqual(["jsonrpc.v2", "mqtt", "mqttv3.1"]);
  });

  it("rfc6455#section-4.2.2: a required protocol and no offer at all give 400", () => {
    const result = match(rpc(), "/rpc");
    expect(result.kind).toBe("no-protocol");
    if (result.kind !== "found") expect(result.error.message).toContain("offered: none");
  });

  it("rfc6455#section-4.2.2: protocols are required by default", () => {
    const router = new Router().route("/chat", { protocols: ["chat"], handler: noop });
    expect(found(router, "/chat", ["chat"]).route.protocolRequired).toBe(true);
    expect(match(router, "/chat").kind).toBe("no-protocol");
  });

  it("rfc6455#section-4.2.2: optional protocols with no overlap match without a subprotocol", () => {
    const router = new Router().route("/chat", {
      protocols: ["chat"],
      protocolRequired: false,
      handler: noop,
    });
    expect(found(router, "/chat", ["other"]).protocol).toBe("");
    expect(found(router, "/chat").protocol).toBe("");
    expect(found(router, "/chat", ["other, chat"]).protocol).toBe("chat");
  });

  it("rfc6455#section-4.2.2: an overlap with any route beats the optional route's fallback", () => {
    const optional: Handler<unknown, unknown> = () => {};
    const required: Handler<unknown, unknown> = () => {};
    const router = new Router()
      .route("/rpc", { protocols: ["a"], protocolRequired: false, handler: optional })
      .route("/rpc", { protocols: ["b"], handler: required });
    const overlap = found(router, "/rpc", ["b"]);
    expect([overlap.route.handler, overlap.protocol]).toEqual([required, "b"]);
    const none = found(router, "/rpc", ["c"]);
    expect([none.route.handler, none.protocol]).toEqual([optional, ""]);
  });

  it("rfc6455#section-4.2.2: a route without protocols selects none, whatever is offered", () => {
    const plain: Handler<unknown, unknown> = () => {};
    const chat: Handler<unknown, unknown> = () => {};
    const router = new Router()
      .route("/ws", { handler: plain })
      .route("/ws", { protocols: ["chat"], handler: chat });
    const offered = found(router, "/ws", ["x, y"]);
    expect([offered.route.handler, offered.protocol]).toEqual([plain, ""]);
    expect(offered.route.protocolRequired).toBe(false);
    const chatting = found(router, "/ws", ["x, chat"]);
    expect([chatting.route.handler, chatting.protocol]).toEqual([chat, "chat"]);
  });

  it("gives each route of a shared path its own param names", () => {
    const router = new Router()
      .route("/rooms/:id", { protocols: ["a"], handler: noop })
      .route("/rooms/:name", { protocols: ["b"], handler: noop });
    expect(found(router, "/rooms/x", ["a"]).params).toEqual({ id: "x" });
    expect(found(router, "/rooms/x", ["b"]).params).toEqual({ name: "x" });
  });
});

describe("Router.route: mistakes are caught when the route is added", () => {
  it("refuses a protocol already spoken on the same path", () => {
    const error = thrown(() =>
      new Router()
        .route("/rpc", { protocols: ["a", "b"], handler: noop })
        .route("/rpc", { protocols: ["b"], handler: noop })
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain('subprotocol "b" is already spoken');
  });

  it("refuses a second route that takes connections without a subprotocol", () => {
    expect(thrown(() => new Router().route("/a", { handler: noop }).route("/a", { handler: noop })))
      .toBeInstanceOf(TypeError);
    expect(
      thrown(() =>
        new Router()
          .route("/rooms/:id", { protocols: ["a"], protocolRequired: false, handler: noop })
          .route("/rooms/:name", { handler: noop })
      ),
    ).toBeInstanceOf(TypeError);
  });

  it("rfc6455#section-4.1: refuses a subprotocol that is not a token", () => {
    for (const protocol of ["", "a b", "a,b", "ü"]) {
      const error = thrown(() =>
        new Router().route("/a", { protocols: [protocol], handler: noop })
      );
      expect(error).toBeInstanceOf(TypeError);
    }
  });

  it("refuses a malformed pattern, origin option or handler", () => {
    expect(thrown(() => new Router().route("nope", { handler: noop }))).toBeInstanceOf(TypeError);
    expect(thrown(() => new Router().route("/a", { origins: ["nope"], handler: noop })))
      .toBeInstanceOf(TypeError);
    const handler = undefined as unknown as Handler<unknown, unknown>;
    expect(thrown(() => new Router().route("/a", { handler }))).toBeInstanceOf(TypeError);
  });
});
