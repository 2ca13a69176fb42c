// Hostile header values in the opening handshake, against a real server on this runtime's
// adapter with the echo handler and default options (anchors.md section 4: ws NSP-550 /
// WS-2017-0421 Object.prototype names in Sec-WebSocket-Extensions, and cross-site WebSocket
// hijacking). Each case checks the HTTP answer, that nothing leaked into Object.prototype, and
// that a fresh client still gets an echo.
import { describe, expect, it } from "vitest";
import { Op } from "../_helpers/conformance_peer.ts";
import type { RawResponse } from "../_helpers/raw_client.ts";
import { assertPrototypesClean } from "../_helpers/security_fuzz.ts";
import {
  expectServerAlive,
  type SecurityTarget,
  useCrashGuard,
  useSecurityServer,
} from "../_helpers/security_harness.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const KEY = "dGhlIHNhbXBsZSBub25jZQ==";

/** Sends a handshake with these extra header lines and returns the response (and the client). */
async function handshake(target: SecurityTarget, fields: readonly string[], host = "127.0.0.1") {
  const client = await target.open();
  const request = [
    "GET / HTTP/1.1",
    `Host: ${host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${KEY}`,
    "Sec-WebSocket-Version: 13",
    ...fields,
    "",
    "",
  ].join("\r\n");
  const response: RawResponse = await withTimeout(
    client.sendHandshake({ request }),
    5_000,
    "the handshake response",
  );
  return { client, response };
}

const HOSTILE_EXTENSIONS: readonly string[] = [
  "__proto__",
  "__proto__; polluted=yes",
  "constructor; prototype=1",
  'x-ext; __proto__="polluted"; constructor=1; toString; hasOwnProperty=yes',
  "toString, valueOf, hasOwnProperty, __defineGetter__",
  'permessage-deflate; __proto__; client_max_window_bits="__proto__"',
  "__proto__; __proto__; __proto__=__proto__, constructor; constructor=constructor",
];

describe("security: hostile handshake headers (default options)", () => {
  const guard = useCrashGuard();
  const target = useSecurityServer();

  for (const extensions of HOSTILE_EXTENSIONS) {
    it(`rfc6455#section-9.1 Sec-WebSocket-Extensions: ${extensions} is answered sanely and pollutes nothing`, async () => {
      const { client, response } = await handshake(target, [
        `Sec-WebSocket-Extensions: ${extensions}`,
      ]);
      // An unknown extension is ignored (101 without it, rfc6455#section-9.1) or refused (400).
      expect([101, 400], "status").toContain(response.status);
      if (response.status === 101) {
        expect(response.headers.get("sec-websocket-extensions"), "accepted extensions").toBe(
          undefined,
        );
        client.sendFrame(Op.Text, "after the extension offer");
        const frame = await withTimeout(client.nextFrame(), 5_000, "the echo");
        expect(new TextDecoder().decode(frame?.payload)).toBe("after the extension offer");
      }
      assertPrototypesClean();
      await expectServerAlive(target.port);
    });
  }

  it('rfc6455#section-9.1 an unclosed quoted extension parameter ("\\" repeated) gets 400', async () => {
    const { response } = await handshake(target, [
      `Sec-WebSocket-Extensions: x; p="${"\\\\".repeat(2_000)}`,
    ]);
    expect(response.status).toBe(400);
    await expectServerAlive(target.port);
  });

  it("rfc6455#section-4.2.1 Object.prototype names as subprotocols are answered sanely and pollute nothing", async () => {
    const { response } = await handshake(target, [
      "Sec-WebSocket-Protocol: __proto__, constructor, toString, hasOwnProperty",
    ]);
    expect(response.status, "status").toBe(101);
    expect(response.headers.get("sec-websocket-protocol"), "chosen subprotocol").toBe(undefined);
    assertPrototypesClean();
    await expectServerAlive(target.port);
  });

  for (
    const origin of [
      "https://evil.example",
      "http://evil.example",
      "null",
      "HTTPS://EVIL.EXAMPLE",
      "http://127.0.0.1.evil.example",
      "http://127.0.0.1:1",
      "not an origin",
    ]
  ) {
    it(`rfc6455#section-10.2 a cross-origin upgrade (Origin: ${origin}) gets 403`, async () => {
      const { response } = await handshake(target, [`Origin: ${origin}`]);
      expect(response.status).toBe(403);
      await expectServerAlive(target.port);
    });
  }

  it("rfc6455#section-10.2 an upgrade without Origin (not a browser) gets 101", async () => {
    const { response } = await handshake(target, []);
    expect(response.status).toBe(101);
  });

  it("rfc6455#section-10.2 a same-origin upgrade (Origin matches Host, any case) gets 101", async () => {
    const host = `127.0.0.1:${target.port}`;
    for (const origin of [`http://${host}`, `HTTP://${host}`, `https://${host}`]) {
      const { client, response } = await handshake(target, [`Origin: ${origin}`], host);
      expect(response.status, origin).toBe(101);
      client.close();
    }
  });

  it("no unhandled rejection or uncaught exception reached the process", () => {
    expect(guard.records).toEqual([]);
  });
});
