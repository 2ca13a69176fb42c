// handleStream: one byte stream through head parsing to a plain answer or acceptUpgrade, over
// an in-memory pair.
import { describe, expect, it } from "vitest";
import type { WebSocketHandler } from "../../src/router/handler.ts";
import { Router } from "../../src/router/router.ts";
import type { ByteStream } from "../../src/streams/byte_stream.ts";
import { handleStream } from "../../src/server/handle_stream.ts";
import type { ServeOptions } from "../../src/server/options.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { TEXT } from "../_helpers/memory_peer.ts";
import {
  peerAfter,
  readAnswer,
  readBody,
  upgradeHead,
  writeText,
} from "../_helpers/memory_upgrade.ts";

const echo: WebSocketHandler = async (ws) => {
  for await (const message of ws) await ws.send(message);
};

function serve(
  handler: WebSocketHandler | Router,
  options: ServeOptions = {},
): { client: ByteStream; done: Promise<void> } {
  const [server, client] = byteStreamPair();
  return { client, done: handleStream(server, handler, options) };
}

async function statusFor(
  head: string,
  handler: WebSocketHandler | Router,
  options: ServeOptions = {},
): Promise<number> {
  const { client, done } = serve(handler, options);
  await writeText(client, head);
  const answer = await readAnswer(client);
  if (answer.response.status === 101) peerAfter(answer).closeTransport();
  else await readBody(answer);
  await done;
  return answer.response.status;
}

/**
 * Upgrades with `head`, lets the handler close (its Close frame is read) and answers it; returns
 * once the handled stream is done.
 */
async function upgradeThenClose(
  client: ByteStream,
  done: Promise<void>,
  head: string,
): Promise<void> {
  await writeText(client, head);
  const answer = await readAnswer(client);
  expect(answer.response.status).toBe(101);
  const peer = peerAfter(answer);
  await peer.nextFrame();
  peer.sendClose(1000);
  await done;
}

describe("handleStream", () => {
  it("rfc6455#section-4.2.2 upgrades a valid head and echoes, frames in the same chunk included", async () => {
    const { client, done } = serve(echo);
    // The head and a masked text frame "hi" (rfc6455#section-5.7) in one write.
    const frame = "\x81\x82\x37\xfa\x21\x3d\x5f\x93";
    await writeText(client, upgradeHead("/") + frame);
    const answer = await readAnswer(client);
    expect(answer.response.status).toBe(101);
    const peer = peerAfter(answer);
    expect(new TextDecoder().decode((await peer.nextFrame())?.payload)).toBe("hi");
    peer.send(TEXT, "again");
    expect(new TextDecoder().decode((await peer.nextFrame())?.payload)).toBe("again");
    peer.sendClose(1000);
    await peer.nextFrame();
    await done;
  });

  it("answers a plain request with 426 and Upgrade: websocket", async () => {
    const { client, done } = serve(echo);
    await writeText(client, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const answer = await readAnswer(client);
    expect(answer.response.status).toBe(426);
    expect(answer.response.headers.get("upgrade")).toBe("websocket");
    await readBody(answer);
    await done;
  });

  it("with a Router, answers a plain request on an unknown path with 404, on a route's with 426", async () => {
    const router = new Router().route("/chat", { handler: echo });
    expect(await statusFor("GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n", router)).toBe(404);
    expect(await statusFor("GET /chat HTTP/1.1\r\nHost: localhost\r\n\r\n", router)).toBe(426);
    expect(await statusFor(upgradeHead("/nope"), router)).toBe(404);
    expect(await statusFor(upgradeHead("/chat"), router)).toBe(101);
  });

  it("rfc7230#section-5.4 refuses a malformed Host with 400", async () => {
    expect(await statusFor(upgradeHead("/", { Host: "a b" }), echo)).toBe(400);
  });

  it("rfc6455#section-4.2.1 checks the method as sent, not as a Request would normalize it", async () => {
    expect(await statusFor(upgradeHead("/").replace("GET", "get"), echo)).toBe(405);
  });

  it("rfc7230#section-5.4 refuses a repeated Host, which only the head's lines show", async () => {
    const head = upgradeHead("/").replace("Host: localhost", "Host: localhost\r\nHost: other");
    expect(await statusFor(head, echo)).toBe(400);
  });

  it("a plain handler upgrades on every path, even one with malformed percent-encoding", async () => {
    expect(await statusFor(upgradeHead("/%E0"), echo)).toBe(101);
    expect(await statusFor(upgradeHead("/any/where?x=1"), echo)).toBe(101);
  });

  it("answers 408 when the head does not arrive within handshakeTimeout", async () => {
    const { client, done } = serve(echo, { handshakeTimeout: 20 });
    await writeText(client, "GET / HTTP/1.1\r\n");
    const answer = await readAnswer(client);
    expect(answer.response.status).toBe(408);
    await readBody(answer);
    await done;
  });

  it("gives the hook and the handler one Request made from the head, and the connection its URL and fields", async () => {
    const seen: { hook?: Request; handler?: Request; url?: string; header?: string | null } = {};
    const router = new Router().route("/rooms/:id", {
      upgrade: (request) => {
        seen.hook = request;
        return undefined;
      },
      handler: async (ws, ctx) => {
        seen.handler = ctx.request;
        seen.url = ws.url.href;
        seen.header = ws.headers.get("x-room");
        await ws.close(1000);
      },
    });
    const { client, done } = serve(router);
    await upgradeThenClose(client, done, upgradeHead("/rooms/7?q=1", { "X-Room": "seven" }));
    expect(seen.hook).toBeInstanceOf(Request);
    expect(seen.handler).toBe(seen.hook);
    expect(seen.hook?.method).toBe("GET");
    expect(seen.hook?.url).toBe("http://localhost/rooms/7?q=1");
    expect(seen.hook?.headers.get("x-room")).toBe("seven");
    expect(seen.url).toBe("ws://localhost/rooms/7?q=1");
    expect(seen.header).toBe("seven");
  });

  it("gives the connection the head's fields as Headers made when first read, the same object at every read", async () => {
    const seen: { same?: boolean; url?: boolean; tags?: string | null; x?: string | null } = {};
    const { client, done } = serve(async (ws) => {
      seen.same = ws.headers === ws.headers;
      seen.url = ws.url === ws.url;
      seen.tags = ws.headers.get("x-tag");
      seen.x = ws.headers.get("x-time");
      await ws.close(1000);
    });
    const head = upgradeHead("/", { "X-Time": "12:30:00" }).replace(
      "\r\n\r\n",
      "\r\nX-Tag: a\r\nX-Tag: b\r\n\r\n",
    );
    await upgradeThenClose(client, done, head);
    expect(seen).toEqual({ same: true, url: true, tags: "a, b", x: "12:30:00" });
  });

  for (const split of [false, true]) {
    it(`rfc7230#section-3.2 gives the connection the fields of a head that arrived ${split ? "in two pieces" : "whole"}, values without their optional whitespace`, async () => {
      const seen: Record<string, string | null> = {};
      const { client, done } = serve(async (ws) => {
        for (const name of ["x-pad", "x-colon", "x-tag", "x-empty", "host"]) {
          seen[name] = ws.headers.get(name);
        }
        await ws.close(1000);
      });
      const head = upgradeHead("/").replace(
        "\r\n\r\n",
        "\r\nX-Pad: \t padded  value\t \r\nX-Colon:a:b\r\nX-Tag: a\r\nX-Empty:  \r\nx-tag:b \r\n\r\n",
      );
      if (split) {
        // The second piece starts inside a field line: that line is read from both.
        const at = head.indexOf("X-Colon") + 3;
        await writeText(client, head.slice(0, at));
        await new Promise((resolve) => setTimeout(resolve, 5));
        await upgradeThenClose(client, done, head.slice(at));
      } else await upgradeThenClose(client, done, head);
      expect(seen).toEqual({
        "x-pad": "padded  value",
        "x-colon": "a:b",
        "x-tag": "a, b",
        "x-empty": "",
        host: "localhost",
      });
    });
  }

  it("makes the handler's Request when it first reads it, the same one at every read", async () => {
    let requests: Request[] = [];
    const { client, done } = serve(async (ws, ctx) => {
      requests = [ctx.request, ctx.request];
      await ws.close(1000);
    });
    await upgradeThenClose(client, done, upgradeHead("/chat"));
    expect(requests[0]).toBeInstanceOf(Request);
    expect(requests[1]).toBe(requests[0]);
    expect(requests[0]?.url).toBe("http://localhost/chat");
  });

  it("throws at once when protocols is given with a Router", () => {
    const [server] = byteStreamPair();
    const router = new Router().route("/chat", { handler: echo });
    expect(() => handleStream(server, router, { protocols: ["chat"] })).toThrow(TypeError);
  });
});
