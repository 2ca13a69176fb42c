// runUpgrade (src/router/upgrade.ts): the route's Origin check, then its upgrade hook, between
// choosing a route and sending the 101.
import { describe, expect, it } from "vitest";
import { HandshakeError } from "../../src/protocol/errors.ts";
import { parseTokenList } from "../../src/protocol/header_lists.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { OriginPolicy } from "../../src/router/origin.ts";
import type { Handler } from "../../src/router/handler.ts";
import { type RouteFound, Router } from "../../src/router/router.ts";
import { runUpgrade } from "../../src/router/upgrade.ts";

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

function found(router: Router, path: string, protocols: string[] = []): RouteFound {
  const request = upgrade(path, protocols);
  const result = router.match(request, offer(request));
  if (result.kind !== "found") throw new Error(`Expected a route, got ${result.error.message}`);
  return result;
}

describe("runUpgrade: the upgrade hook", () => {
  const connection = {} as Connection;
  const lookUpUser = (name: string | null): Promise<string | null> => Promise.resolve(name);

  it("accepts without a hook: no extra headers, data undefined", async () => {
    const router = new Router().route("/rooms/:room", { protocols: ["chat"], handler: noop });
    const request = upgrade("/rooms/lobby", ["chat"]);
    const decision = await runUpgrade(found(router, "/rooms/lobby", ["chat"]), request);
    expect(decision.kind).toBe("accepted");
    if (decision.kind !== "accepted") return;
    expect([...decision.headers]).toEqual([]);
    expect(decision.context).toEqual({
      request,
      params: { room: "lobby" },
      protocol: "chat",
      data: undefined,
    });
  });

  it("the handler's context: request, params, protocol and data as own enumerable properties, request made when read and replaceable", async () => {
    const router = new Router().route("/rooms/:room", { protocols: ["chat"], handler: noop });
    const request = upgrade("/rooms/lobby", ["chat"]);
    const decision = await runUpgrade(found(router, "/rooms/lobby", ["chat"]), request);
    if (decision.kind !== "accepted") throw new Error("Expected the upgrade to be accepted");
    const context = decision.context;
    expect(Object.keys(context)).toEqual(["request", "params", "protocol", "data"]);
    expect({ ...context }).toEqual({
      request,
      params: { room: "lobby" },
      protocol: "chat",
      data: undefined,
    });
    const other = new Request("http://localhost/other");
    (context as { request: Request }).request = other;
    expect(context.request).toBe(other);
    // Each connection's context is its own.
    const again = await runUpgrade(found(router, "/rooms/hall", ["chat"]), upgrade("/rooms/hall"));
    if (again.kind !== "accepted") throw new Error("Expected the upgrade to be accepted");
    expect(again.context.request.url).toBe("http://localhost/rooms/hall");
    expect(again.context.params).toEqual({ room: "hall" });
  });

  it("refuses with the hook's Response: any status, headers and body", async () => {
    const router = new Router().route("/private", {
      upgrade: () =>
        new Response("log in first", {
          status: 401,
          headers: { "www-authenticate": 'Bearer realm="ws"' },
        }),
      handler: noop,
    });
    const decision = await runUpgrade(found(router, "/private"), upgrade("/private"));
    expect(decision.kind).toBe("refused");
    if (decision.kind !== "refused") return;
    expect(decision.response.status).toBe(401);
    expect(decision.response.headers.get("www-authenticate")).toBe('Bearer realm="ws"');
    expect(await decision.response.text()).toBe("log in first");
  });

  it("accepts with typed data and extra headers, and passes params and protocol", async () => {
    const seen: unknown[] = [];
    const handled: string[] = [];
    const router = new Router().route("/rooms/:room", {
      protocols: ["chat"],
      async upgrade(request, ctx) {
        seen.push(ctx.params.room, ctx.protocol);
        const user = await lookUpUser(request.headers.get("x-user"));
        if (user === null) return new Response("who are you?", { status: 403 });
        const headers = new Headers([["set-cookie", "a=1"], ["set-cookie", "b=2"]]);
        return { data: { user, joined: 1 }, headers };
      },
      handler(_ws, ctx) {
        // Typed without casts: `data` from the hook, `params` from the pattern.
        const user: string = ctx.data.user;
        const joined: number = ctx.data.joined;
        const room: string = ctx.params.room;
        // @ts-expect-error: the pattern has no :other param
        void ctx.params.other;
        handled.push(`${user} ${joined} ${room} ${ctx.protocol}`);
      },
    });
    const request = upgrade("/rooms/lobby", ["chat"], { "x-user": "ada" });
    const result = router.match(request, offer(request));
    if (result.kind !== "found") throw new Error("no route");
    const decision = await runUpgrade(result, request);
    expect(seen).toEqual(["lobby", "chat"]);
    expect(decision.kind).toBe("accepted");
    if (decision.kind !== "accepted") return;
    expect(decision.headers.getSetCookie()).toEqual(["a=1", "b=2"]);
    expect(decision.context.data).toEqual({ user: "ada", joined: 1 });
    const { handler } = result.route;
    if (typeof handler !== "function") throw new Error("a handler function was given");
    await handler(connection, decision.context);
    expect(handled).toEqual(["ada 1 lobby chat"]);

    const anonymous = upgrade("/rooms/lobby", ["chat"]);
    const refused = await runUpgrade(result, anonymous);
    expect(refused.kind === "refused" && refused.response.status).toBe(403);
  });

  it("accepts when the hook returns nothing or only headers", async () => {
    const router = new Router()
      .route("/a", { upgrade: () => {}, handler: noop })
      .route("/b", { upgrade: () => ({ headers: { "x-server": "wsflow" } }), handler: noop });
    const a = await runUpgrade(found(router, "/a"), upgrade("/a"));
    expect(a.kind === "accepted" && a.context.data).toBe(undefined);
    const b = await runUpgrade(found(router, "/b"), upgrade("/b"));
    expect(b.kind === "accepted" && b.headers.get("x-server")).toBe("wsflow");
  });

  it("rejects when the hook throws or returns something else", async () => {
    const router = new Router()
      .route("/throws", {
        upgrade: () => {
          throw new Error("database down");
        },
        handler: noop,
      })
      .route("/odd", { upgrade: () => 42 as unknown as undefined, handler: noop });
    await expect(runUpgrade(found(router, "/throws"), upgrade("/throws"))).rejects.toThrow(
      "database down",
    );
    await expect(runUpgrade(found(router, "/odd"), upgrade("/odd"))).rejects.toThrow(TypeError);
  });
});

describe("runUpgrade: the Origin check", () => {
  it("rfc6455#section-10.2: refuses a foreign origin with 403 before the hook runs", async () => {
    let hookRan = false;
    const router = new Router().route("/chat", {
      upgrade: () => {
        hookRan = true;
      },
      handler: noop,
    });
    const request = upgrade("/chat", [], { origin: "https://evil.example" });
    const decision = await runUpgrade(found(router, "/chat"), request);
    expect(decision.kind).toBe("forbidden");
    if (decision.kind !== "forbidden") return;
    expect(decision.error).toBeInstanceOf(HandshakeError);
    expect(decision.error.status).toBe(403);
    expect(decision.error.message).toBe(
      'Cannot upgrade: origin "https://evil.example" does not match host "localhost" ' +
        "(rfc6455#section-10.2)",
    );
    expect(hookRan).toBe(false);
  });

  it("rfc6455#section-10.2: accepts same-origin and Origin-less requests by default", async () => {
    const router = new Router().route("/chat", { handler: noop });
    const same = upgrade("/chat", [], { origin: "http://localhost" });
    expect((await runUpgrade(found(router, "/chat"), same)).kind).toBe("accepted");
    expect((await runUpgrade(found(router, "/chat"), upgrade("/chat"))).kind).toBe("accepted");
    const opaque = upgrade("/chat", [], { origin: "null" });
    expect((await runUpgrade(found(router, "/chat"), opaque)).kind).toBe("forbidden");
  });

  it("rfc6455#section-10.2: uses the server's option for routes without their own", async () => {
    const router = new Router()
      .route("/open", { origins: "*", handler: noop })
      .route("/app", { handler: noop })
      .route("/local", { origins: "same-origin", handler: noop });
    const from = (path: string): Request =>
      upgrade(path, [], { origin: "https://app.example.com" });
    const server = { origins: ["https://app.example.com"] };
    expect((await runUpgrade(found(router, "/open"), from("/open"))).kind).toBe("accepted");
    expect((await runUpgrade(found(router, "/app"), from("/app"), server)).kind).toBe("accepted");
    expect((await runUpgrade(found(router, "/app"), from("/app"))).kind).toBe("forbidden");
    expect((await runUpgrade(found(router, "/local"), from("/local"), server)).kind).toBe(
      "forbidden",
    );
    const policy = { origins: new OriginPolicy(["https://*.example.com"]) };
    expect((await runUpgrade(found(router, "/app"), from("/app"), policy)).kind).toBe("accepted");
  });
});
