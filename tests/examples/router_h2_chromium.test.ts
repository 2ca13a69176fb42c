// examples/router.ts with H2_PORT in a real browser (../shared/H2-CONTRACT.md): headless Chromium
// loads a page from the HTTP/2 origin, then opens WebSockets to /echo and /chat, which must ride
// that HTTP/2 connection as extended CONNECT streams (RFC 8441). Chromium's own DevTools
// protocol is the witness: a WebSocket over HTTP/2 completes its handshake with status 200
// (rfc8441#section-5), one over HTTP/1.1 with 101; and requests before and after a WebSocket
// closes report the same connection id. The server runs as a child process of the runtime under
// test, with a throwaway certificate that Chromium trusts through its SPKI pin flag.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash, createPublicKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { programPath } from "../../scripts/test_programs.ts";
import { type ExampleProcess, startExample } from "../_helpers/example_process.ts";
import { makeTestCerts } from "../_helpers/test_certs.ts";

const WAIT = { timeout: 10_000 };

/** base64 of the SHA-256 of the certificate's SubjectPublicKeyInfo, as Chromium's pin flag wants. */
function spkiPin(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("base64");
}

describe(`examples/router.ts H2_PORT on ${runtime} in headless Chromium (RFC 8441)`, () => {
  let server: ExampleProcess | undefined;
  let context: BrowserContext | undefined;
  let dir: string | undefined;
  let origin = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "wsflow-h2-"));
    const certs = makeTestCerts();
    writeFileSync(join(dir, "cert.pem"), certs.cert);
    writeFileSync(join(dir, "key.pem"), certs.key);
    server = await startExample("examples/router.ts", {
      PORT: "0",
      H2_PORT: "0",
      TLS_CERT: join(dir, "cert.pem"),
      TLS_KEY: join(dir, "key.pem"),
    }, { listening: 2 });
    const h2 = server.urls.find((url) => url.startsWith("h2://"));
    if (h2 === undefined) throw new Error(`no LISTENING h2:// line:\n${server.output()}`);
    origin = `https://localhost:${new URL(h2.replace("h2:", "https:")).port}`;
    const { chromium } = await import("playwright-core");
    context = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: programPath("chromium"),
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        // Trust the test certificate by its key, so the connection has no certificate error
        // (Chromium does not pool connections that have one).
        `--ignore-certificate-errors-spki-list=${spkiPin(certs.cert)}`,
      ],
      timeout: 20_000,
    });
  });

  afterAll(async () => {
    try {
      await context?.close();
    } finally {
      await server?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A page on the h2 origin, with DevTools' network events recorded. */
  async function openPage(): Promise<
    { page: Page; cdp: CDPSession; events: Record<string, unknown>[] }
  > {
    const page = await context!.newPage();
    const cdp = await context!.newCDPSession(page);
    const events: Record<string, unknown>[] = [];
    await cdp.send("Network.enable");
    cdp.on("Network.webSocketHandshakeResponseReceived", (event) => {
      events.push({ kind: "ws", url: "", status: event.response.status });
    });
    cdp.on("Network.responseReceived", (event) => {
      events.push({
        kind: "http",
        url: event.response.url,
        protocol: event.response.protocol,
        connectionId: event.response.connectionId,
      });
    });
    const response = await page.goto(`${origin}/`, WAIT);
    expect(response?.status()).toBe(200);
    return { page, cdp, events };
  }

  it("rfc8441#section-4 GET / is a page over h2; /echo and /chat open as extended CONNECT streams on it and echo", async () => {
    const { page, events } = await openPage();
    expect(await page.title()).toBe("wsflow over HTTP/2");
    expect(events.find((event) => event.kind === "http")?.protocol).toBe("h2");

    const result = await page.evaluate(async (base: string) => {
      const open = (path: string, protocols?: string[]): Promise<WebSocket> =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(`${base}${path}`, protocols);
          ws.onopen = () => resolve(ws);
          ws.onerror = () => reject(new Error(`${path} failed`));
        });
      const echo = (ws: WebSocket, text: string): Promise<string> =>
        new Promise((resolve) => {
          ws.onmessage = (event) => resolve(String(event.data));
          ws.send(text);
        });
      const echoWs = await open("/echo");
      const chat = await open("/chat", ["chat.v2", "chat"]);
      const echoed = await echo(echoWs, "hello over h2");
      const chatted = await echo(chat, "κόσμε 👋");
      const closed = await new Promise<number>((resolve) => {
        echoWs.onclose = (event) => resolve(event.code);
        echoWs.close(1000, "done");
      });
      // The HTTP/2 connection, and the other WebSocket on it, live on.
      const after = await echo(chat, "still here");
      const status = (await fetch("/")).status;
      chat.close();
      return { echoed, chatted, protocol: chat.protocol, closed, after, status };
    }, origin.replace("https:", "wss:"));

    expect(result).toEqual({
      echoed: "hello over h2",
      chatted: "κόσμε 👋",
      protocol: "chat.v2",
      closed: 1000,
      after: "still here",
      status: 200,
    });
    // rfc8441#section-5: the handshakes completed with :status 200, not 101
    const handshakes = events.filter((event) => event.kind === "ws").map((event) => event.status);
    expect(handshakes).toEqual([200, 200]);
    // The page and the fetch after the close came over one HTTP/2 connection. DevTools may
    // report the fetch's response a moment after the page has it.
    const deadline = Date.now() + 5_000;
    while (events.filter((event) => event.kind === "http").length < 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const http = events.filter((event) => event.kind === "http");
    expect(http.length).toBe(2);
    expect(http.every((event) => event.protocol === "h2")).toBe(true);
    expect(http[1]!.connectionId).toBe(http[0]!.connectionId);
    await page.close();
  });
});
