// examples/router.ts against SERVER-CONTRACT.md sections 1, 2, 4 and 5: the example runs as a
// child process of the runtime under test (node --import tsx, bun, deno run -A), exactly as a
// user starts it, and a raw client sends the bytes each clause is about, including deflated
// messages (node:zlib, which all three runtimes provide) for section 3.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { bytesDiff } from "../_helpers/bytes.ts";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { EXPECTED_ACCEPT, RawClient, type RawClientOptions } from "../_helpers/raw_client.ts";
import { makeTestCerts } from "../_helpers/test_certs.ts";
import { delay, withTimeout } from "../_helpers/with_timeout.ts";

const CONTINUATION = 0x0;
const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;
const MiB = 1024 * 1024;

function closePayload(code: number, reason = ""): Uint8Array {
  const reasonBytes = new TextEncoder().encode(reason);
  const out = new Uint8Array(2 + reasonBytes.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(reasonBytes, 2);
  return out;
}

function pattern(length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * 31 + (i >> 10)) & 0xff;
  return out;
}

function text(bytes: Uint8Array | undefined): string {
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

async function next(client: RawClient, what: string, ms = 10_000) {
  return await withTimeout(client.nextFrame(), ms, what);
}

/** A handshake request with raw header lines, for offers spread over several lines. */
function rawUpgrade(path: string, extraLines: readonly string[]): string {
  return [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...extraLines,
    "",
    "",
  ].join("\r\n");
}

describe("examples/router.ts (SERVER-CONTRACT.md)", () => {
  let server: ExampleProcess | undefined;
  let certDir: string | undefined;
  let ca = "";
  const ports = { ws: 0, wss: 0 };

  beforeAll(async () => {
    const certs = makeTestCerts();
    ca = certs.ca;
    certDir = mkdtempSync(join(tmpdir(), "wsflow-router-example-"));
    writeFileSync(join(certDir, "cert.pem"), certs.cert);
    writeFileSync(join(certDir, "key.pem"), certs.key);
    // No HOST: the default must be loopback. Port 0 picks a free port.
    server = await startExample("examples/router.ts", {
      PORT: "0",
      TLS_PORT: "0",
      TLS_CERT: join(certDir, "cert.pem"),
      TLS_KEY: join(certDir, "key.pem"),
    }, { listening: 2 });
    for (const url of server.urls) {
      const { protocol, port } = new URL(url);
      ports[protocol === "wss:" ? "wss" : "ws"] = Number(port);
    }
  });

  afterAll(async () => {
    await server?.stop();
    if (certDir !== undefined) rmSync(certDir, { recursive: true, force: true });
  });

  describe("1. Listening", () => {
    it("prints `LISTENING ws://HOST:PORT` and `LISTENING wss://HOST:PORT2` on their own lines, on loopback by default", () => {
      expect(server!.urls).toHaveLength(2);
      expect(server!.urls[0]).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
      expect(server!.urls[1]).toMatch(/^wss:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
      expect(server!.output()).toMatch(/(^|\n)LISTENING ws:\/\/127\.0\.0\.1:\d+\r?\n/);
      expect(server!.output()).toMatch(/(^|\n)LISTENING wss:\/\/127\.0\.0\.1:\d+\r?\n/);
    });

    it("the TLS listener presents the certificate of TLS_CERT, trusted through its CA, for localhost", async () => {
      const client = await RawClient.openTls(ports.wss, { ca, host: "localhost" });
      try {
        expect((client.socket as TLSSocket).authorized).toBe(true);
      } finally {
        client.close();
      }
    });
  });

  // The TLS listener must serve the same routes with the same behaviour: every check runs on both.
  for (const scheme of ["ws", "wss"] as const) {
    describe(`${scheme}://`, () => {
      /** A connection to the listener of this scheme (wss: to localhost, trusting the test CA). */
      function open(): Promise<RawClient> {
        return scheme === "ws"
          ? RawClient.open(ports.ws)
          : RawClient.openTls(ports.wss, { ca, host: "localhost" });
      }

      async function handshake(options: RawClientOptions): Promise<RawClient> {
        const client = await open();
        await withTimeout(client.sendHandshake(options), 5_000, "the handshake response");
        return client;
      }

      /** Opens /path, checks the 101, and closes the client when `body` is done, even on failure. */
      async function session(
        path: string,
        body: (client: RawClient) => Promise<void>,
        headers: Record<string, string> = {},
      ): Promise<void> {
        const client = await handshake({ path, headers });
        try {
          expect(client.response?.status).toBe(101);
          expect(client.response?.headers.get("sec-websocket-accept")).toBe(EXPECTED_ACCEPT);
          await body(client);
        } finally {
          client.close();
        }
      }

      describe("2. Routes", () => {
        for (const path of ["/echo", "/chat"]) {
          describe(`2.1 echo on ${path}`, () => {
            it("echoes text as text and binary as binary, byte-identical", async () => {
              await session(path, async (client) => {
                const binary = pattern(1000);
                client.sendFrame(TEXT, "hello, wsflow");
                client.sendFrame(BINARY, binary);
                const first = await next(client, "text echo");
                expect(first?.opcode).toBe(TEXT);
                expect(text(first?.payload)).toBe("hello, wsflow");
                const second = await next(client, "binary echo");
                expect(second?.opcode).toBe(BINARY);
                expect(bytesDiff(second?.payload, binary)).toBe("");
              });
            });

            it("echoes empty text and empty binary messages", async () => {
              await session(path, async (client) => {
                client.sendFrame(TEXT, "");
                client.sendFrame(BINARY, new Uint8Array(0));
                const first = await next(client, "empty text echo");
                expect(first?.opcode).toBe(TEXT);
                expect(first?.payload.length).toBe(0);
                const second = await next(client, "empty binary echo");
                expect(second?.opcode).toBe(BINARY);
                expect(second?.payload.length).toBe(0);
              });
            });

            it("echoes 1000 back-to-back messages once each, in order", async () => {
              await session(path, async (client) => {
                for (let i = 0; i < 1000; i++) {
                  if (i % 2 === 0) client.sendFrame(TEXT, `message ${i}`);
                  else client.sendFrame(BINARY, new Uint8Array([i >> 8, i & 0xff]));
                }
                for (let i = 0; i < 1000; i++) {
                  const frame = await next(client, `echo ${i}`);
                  if (i % 2 === 0) {
                    expect(frame?.opcode).toBe(TEXT);
                    expect(text(frame?.payload)).toBe(`message ${i}`);
                  } else {
                    expect(frame?.opcode).toBe(BINARY);
                    expect(bytesDiff(frame?.payload, new Uint8Array([i >> 8, i & 0xff]))).toBe("");
                  }
                }
              });
            });

            it("echoes one message fragmented into several frames as one message", async () => {
              await session(path, async (client) => {
                client.sendFrame(TEXT, "frag", { fin: false });
                client.sendFrame(CONTINUATION, "men", { fin: false });
                client.sendFrame(CONTINUATION, "ted");
                const frame = await next(client, "fragmented echo");
                expect(frame?.opcode).toBe(TEXT);
                expect(frame?.fin).toBe(true);
                expect(text(frame?.payload)).toBe("fragmented");
              });
            });

            it("echoes a 16 MiB binary and a 16 MiB text message (16 777 216 bytes each)", async () => {
              await session(path, async (client) => {
                const binary = pattern(16 * MiB);
                const big = "é".repeat(8 * MiB); // 2 bytes each in UTF-8
                client.sendFrame(BINARY, binary);
                client.sendFrame(TEXT, big);
                const first = await next(client, "16 MiB binary echo", 20_000);
                expect(first?.opcode).toBe(BINARY);
                expect(bytesDiff(first?.payload, binary)).toBe("");
                const second = await next(client, "16 MiB text echo", 20_000);
                expect(second?.opcode).toBe(TEXT);
                expect(second?.payload.length).toBe(16 * MiB);
                expect(text(second?.payload) === big).toBe(true);
              });
            });

            it("keeps multi-byte, astral, ZWJ-emoji and CJK text intact, up to ~120 KiB", async () => {
              const samples = [
                "héllo wörld ñ ß €",
                "𝄞 𐍈 😀 🦄", // 4-byte (astral) code points
                "👩‍👩‍👧‍👦 🏳️‍🌈 👨🏽‍💻 🧑‍🤝‍🧑", // ZWJ sequences, variation selectors, skin tones
                "漢字かなカナ 한국어 中文",
              ];
              const long = samples.join(" | ").repeat(1200);
              expect(new TextEncoder().encode(long).length).toBeGreaterThan(100 * 1024);
              await session(path, async (client) => {
                for (const sample of [...samples, long]) client.sendFrame(TEXT, sample);
                for (const sample of [...samples, long]) {
                  const frame = await next(client, "UTF-8 echo");
                  expect(frame?.opcode).toBe(TEXT);
                  expect(bytesDiff(frame?.payload, new TextEncoder().encode(sample))).toBe("");
                }
              });
            });
          });
        }

        it("matches on the path only: the query string is ignored", async () => {
          await session("/echo?user=ada&x=%20", async (client) => {
            client.sendFrame(TEXT, "query");
            expect(text((await next(client, "echo"))?.payload)).toBe("query");
          });
        });

        for (const kind of [TEXT, BINARY]) {
          const name = kind === TEXT ? "text" : "binary";
          it(`2.2 /close-me: the first (${name}) message is not echoed; the server closes with 4001 "server bye", ignores later messages and waits for our Close before closing TCP`, async () => {
            const client = await handshake({ path: "/close-me" });
            try {
              expect(client.response?.status).toBe(101);
              client.sendFrame(kind, "please close");
              client.sendFrame(TEXT, "ignored: sent before our Close");
              const frame = await next(client, "the server's Close frame");
              // The very next frame is the Close: nothing was echoed.
              expect(frame?.opcode).toBe(CLOSE);
              expect(frame?.payload[0]! << 8 | frame?.payload[1]!).toBe(4001);
              expect(bytesDiff(frame?.payload.subarray(2), new TextEncoder().encode("server bye")))
                .toBe("");
              client.sendFrame(BINARY, new Uint8Array([1, 2, 3]));
              // The server must keep TCP open until our Close.
              await delay(300);
              expect(client.socket.closed).toBe(false);
              client.sendFrame(CLOSE, closePayload(4001, "server bye"));
              await withTimeout(client.ended, 5_000, "the server closes TCP after our Close");
              expect(await client.nextFrame()).toBe(undefined);
              expect(client.resetError).toBe(undefined);
            } finally {
              client.close();
            }
          });
        }

        describe("2.3 unknown paths", () => {
          for (const path of ["/", "/nope", "/Echo", "/echo/", "/chat/x", "/close-me2"]) {
            it(`refuses an upgrade on ${path} with 404 and does not upgrade`, async () => {
              const client = await open();
              try {
                const response = await withTimeout(client.sendHandshake({ path }), 5_000, "404");
                expect(response.status).toBe(404);
                expect(response.headers.has("sec-websocket-accept")).toBe(false);
              } finally {
                client.close();
              }
            });
          }

          it("answers a plain HTTP request (no Upgrade) to an unknown path with 404", async () => {
            const client = await open();
            try {
              const response = await withTimeout(
                client.sendHandshake({ request: "GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" }),
                5_000,
                "404",
              );
              expect(response.status).toBe(404);
            } finally {
              client.close();
            }
          });

          for (const path of ["/echo", "/chat", "/close-me"]) {
            it(`answers a plain HTTP request to ${path} with 426 Upgrade Required`, async () => {
              const client = await open();
              try {
                const response = await withTimeout(
                  client.sendHandshake({
                    request: `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
                  }),
                  5_000,
                  "426",
                );
                expect(response.status).toBe(426);
                expect(response.headers.get("upgrade")?.toLowerCase()).toBe("websocket");
              } finally {
                client.close();
              }
            });
          }
        });

        it("accepts a browser handshake from another origin (Chromium test pages)", async () => {
          await session("/echo", async (client) => {
            client.sendFrame(TEXT, "from elsewhere");
            expect(text((await next(client, "echo"))?.payload)).toBe("from elsewhere");
          }, { Origin: "http://localhost:9999" });
        });
      });

      describe("3. Extensions: permessage-deflate", () => {
        // Chromium's exact offer.
        const offer = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };
        const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

        /** Deflates one message as a client without context takeover would (tail removed). */
        function deflate(data: Uint8Array): Uint8Array {
          const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
          return new Uint8Array(out.buffer, out.byteOffset, out.length - 4);
        }

        function inflate(payload: Uint8Array): Uint8Array {
          const joined = new Uint8Array(payload.length + 4);
          joined.set(payload);
          joined.set(TAIL, payload.length);
          return new Uint8Array(inflateRawSync(joined, { finishFlush: constants.Z_SYNC_FLUSH }));
        }

        for (const path of ["/echo", "/chat", "/close-me"]) {
          it(`rfc7692#section-7.1 accepts Chromium's offer on ${path}, honouring client_max_window_bits without a value`, async () => {
            await session(path, (client) => {
              const answer = client.response?.headers.get("sec-websocket-extensions") ?? "";
              const [name, ...params] = answer.split(";").map((part) => part.trim());
              expect(name).toBe("permessage-deflate");
              for (const param of params) {
                const [key, value] = param.split("=");
                expect([
                  "server_no_context_takeover",
                  "client_no_context_takeover",
                  "server_max_window_bits",
                  "client_max_window_bits",
                ]).toContain(key);
                if (value !== undefined) expect(Number(value)).toBeGreaterThanOrEqual(8);
              }
              return Promise.resolve();
            }, offer);
          });
        }

        for (const [kind, opcode] of [["text", TEXT], ["binary", BINARY]] as const) {
          it(`rfc7692#section-6 echoes compressed ${kind}, compressible and not, up to 16 MiB`, async () => {
            await session("/echo", async (client) => {
              const json = new TextEncoder().encode(
                JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ id: i, ok: true }))),
              );
              const random = new Uint8Array(256 * 1024);
              for (let i = 0; i < random.length; i += 65_536) {
                crypto.getRandomValues(random.subarray(i, i + 65_536));
              }
              const big = new Uint8Array(16 * 1024 * 1024).fill(0x61);
              const messages = opcode === TEXT ? [json, big] : [json, random, big];
              for (const message of messages) {
                client.sendFrame(opcode, deflate(message), { rsv: 4 });
                const frame = await withTimeout(client.nextFrame(), 20_000, "compressed echo");
                expect(frame?.opcode).toBe(opcode);
                const payload = frame!.rsv1 ? inflate(frame!.payload) : frame!.payload;
                expect(bytesDiff(payload, message)).toBe("");
              }
            }, offer);
          });
        }
      });

      describe("4. Subprotocols", () => {
        const cases: [string, string[], string | undefined][] = [
          ["rfc6455#section-4.2.2 offer `chat.v2, chat` selects chat.v2", [
            "Sec-WebSocket-Protocol: chat.v2, chat",
          ], "chat.v2"],
          [
            "rfc6455#section-4.2.2 offer `chat` selects chat",
            ["Sec-WebSocket-Protocol: chat"],
            "chat",
          ],
          ["rfc6455#section-4.2.2 offer `chat, chat.v2` selects chat (client order wins)", [
            "Sec-WebSocket-Protocol: chat, chat.v2",
          ], "chat"],
          ["offer `chat.v2,chat` (no space) selects chat.v2", [
            "Sec-WebSocket-Protocol: chat.v2,chat",
          ], "chat.v2"],
          ["offer with extra whitespace `  chat.v2 ,\tchat ` selects chat.v2", [
            "Sec-WebSocket-Protocol:   chat.v2 ,\tchat ",
          ], "chat.v2"],
          ["offer over two header lines (`mqtt`, then `chat.v2, chat`) selects chat.v2", [
            "Sec-WebSocket-Protocol: mqtt",
            "Sec-WebSocket-Protocol: chat.v2, chat",
          ], "chat.v2"],
          ["offer over two header lines (`chat`, then `chat.v2`) selects chat", [
            "Sec-WebSocket-Protocol: chat",
            "Sec-WebSocket-Protocol: chat.v2",
          ], "chat"],
          ["no overlap (`mqtt, wamp`) upgrades without Sec-WebSocket-Protocol", [
            "Sec-WebSocket-Protocol: mqtt, wamp",
          ], undefined],
          ["no offer upgrades without Sec-WebSocket-Protocol", [], undefined],
        ];
        for (const [name, lines, expected] of cases) {
          it(`/chat: ${name}`, async () => {
            const client = await open();
            try {
              const response = await withTimeout(
                client.sendHandshake({ request: rawUpgrade("/chat", lines) }),
                5_000,
                "handshake",
              );
              expect(response.status).toBe(101);
              expect(response.headers.get("sec-websocket-protocol")).toBe(expected);
              // The connection works after it: the route echoes.
              client.sendFrame(TEXT, "after handshake");
              expect(text((await next(client, "echo"))?.payload)).toBe("after handshake");
            } finally {
              client.close();
            }
          });
        }

        for (const path of ["/echo", "/close-me"]) {
          it(`${path} never sends Sec-WebSocket-Protocol, even when chat is offered`, async () => {
            await session(path, (client) => {
              expect(client.response?.headers.has("sec-websocket-protocol")).toBe(false);
              return Promise.resolve();
            }, { "Sec-WebSocket-Protocol": "chat.v2, chat" });
          });
        }
      });

      describe("5. Control frames and close", () => {
        it("rfc6455#section-5.5.2 answers every ping with a pong carrying the same data", async () => {
          await session("/echo", async (client) => {
            const payloads = [new Uint8Array(0), new TextEncoder().encode("ping 1"), pattern(125)];
            for (const payload of payloads) client.sendFrame(PING, payload);
            for (const payload of payloads) {
              const pong = await next(client, "pong", 10_000);
              expect(pong?.opcode).toBe(PONG);
              expect(bytesDiff(pong?.payload, payload)).toBe("");
            }
          });
        });

        it("rfc6455#section-5.5.2 answers a ping sent between fragments, before the message", async () => {
          await session("/chat", async (client) => {
            client.sendFrame(BINARY, new Uint8Array([1]), { fin: false });
            client.sendFrame(PING, "between");
            client.sendFrame(CONTINUATION, new Uint8Array([2]));
            const pong = await next(client, "pong");
            expect(pong?.opcode).toBe(PONG);
            expect(text(pong?.payload)).toBe("between");
            const echo = await next(client, "echo");
            expect(echo?.opcode).toBe(BINARY);
            expect(bytesDiff(echo?.payload, new Uint8Array([1, 2]))).toBe("");
          });
        });

        for (const path of ["/echo", "/chat", "/close-me"]) {
          it(`rfc6455#section-5.5.1 ${path}: Close 4000 "bye" is answered with 4000 "bye", then TCP closes`, async () => {
            await session(path, async (client) => {
              client.sendFrame(CLOSE, closePayload(4000, "bye"));
              const close = await withTimeout(client.nextClose(), 5_000, "the server's Close");
              expect(close).toEqual({ code: 4000, reason: "bye" });
              await withTimeout(client.ended, 5_000, "the server closes TCP");
            });
          });
        }

        it("rfc6455#section-5.5.1 a Close without a status code is answered without one", async () => {
          await session("/echo", async (client) => {
            client.sendFrame(CLOSE);
            const frame = await next(client, "the server's Close");
            expect(frame?.opcode).toBe(CLOSE);
            expect(frame?.payload.length).toBe(0);
            await withTimeout(client.ended, 5_000, "the server closes TCP");
          });
        });

        it("sends no pings of its own and keeps an idle connection open", async () => {
          await session("/echo", async (client) => {
            await delay(1_500);
            expect(client.socket.closed).toBe(false);
            // The first frame after the idle time is our echo: no ping came before it.
            client.sendFrame(TEXT, "still here");
            const frame = await next(client, "echo after idling");
            expect(frame?.opcode).toBe(TEXT);
            expect(text(frame?.payload)).toBe("still here");
          });
        });
      });
    });
  }
});
