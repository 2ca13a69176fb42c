// examples/client.ts against ../shared/CLIENT-CONTRACT.md section 1, run as a child process of
// this runtime the way a user runs it: lines in on stdin, messages out on stdout, status lines
// on stderr, exit codes; --reconnect across 1012, a first attempt refused, and giving up after
// 1008; CA_FILE for wss://; HTTP_PROXY / HTTPS_PROXY / NO_PROXY through a real proxy.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { type Child, startChild } from "../_helpers/child_process.ts";
import { startServer } from "../_helpers/pmd_server.ts";
import { type ProxyProcess, startProxy } from "../_helpers/proxy_process.ts";
import { makeTestCerts } from "../_helpers/test_certs.ts";

const CLIENT = "examples/client.ts";
// No proxy from the environment the tests run in, unless a test sets one.
const NO_ENV_PROXY = {
  HTTP_PROXY: undefined,
  http_proxy: undefined,
  HTTPS_PROXY: undefined,
  https_proxy: undefined,
  NO_PROXY: undefined,
  no_proxy: undefined,
};

function client(args: string[], env: Record<string, string | undefined> = {}): Child {
  return startChild(CLIENT, args, { ...NO_ENV_PROXY, ...env });
}

const echo = async (ws: Connection): Promise<void> => {
  for await (const message of ws) {
    await ws.send(message);
    if (message === "binary please") await ws.send(new Uint8Array(5));
  }
};

describe(`examples/client.ts on ${runtime}`, () => {
  let server: Server | undefined;
  let url = "";
  let proxy: ProxyProcess | undefined;
  let locked: ProxyProcess | undefined;
  beforeAll(async () => {
    server = await startServer(echo);
    url = `ws://127.0.0.1:${server.addr.port}/`;
    [proxy, locked] = await Promise.all([
      startProxy(),
      startProxy({ PROXY_USER: "bob", PROXY_PASS: "pw" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([proxy?.stop(), locked?.stop()]);
    await server?.close();
  });

  it("sends stdin lines, prints text and binary messages, and exits 0 after end of input closes with 1000", async () => {
    const child = client([url]);
    try {
      await child.waitFor("stderr", /^OPEN ws:\/\/127\.0\.0\.1:\d+\/$/, "OPEN");
      child.write("one\nbinary please\n");
      await child.waitFor("stdout", /^<5 bytes>$/, "the binary message");
      child.endInput();
      expect((await child.exited()).code).toBe(0);
      expect(child.stdout).toEqual(["one", "binary please", "<5 bytes>"]);
      expect(child.stderr.at(-1)).toBe("CLOSED 1000");
    } finally {
      child.kill();
    }
  });

  it("without --reconnect, exits 1 when the server closes with 1008", async () => {
    const strict = await startServer(async (ws) => {
      for await (const _ of ws) await ws.close(1008, "not allowed");
    });
    const child = client([`ws://127.0.0.1:${strict.addr.port}/`]);
    try {
      await child.waitFor("stderr", /^OPEN /, "OPEN");
      child.write("hello\n");
      expect((await child.exited()).code).toBe(1);
      expect(child.stderr).toContain("CLOSED 1008 not allowed");
    } finally {
      child.kill();
      await strict.close();
    }
  });

  it("rfc6455#section-7.4.1 with --reconnect, reconnects after 1012, sends lines typed while disconnected in order, and gives up after 1008", async () => {
    const accepted: Connection[] = [];
    const received: string[][] = [];
    const scripted = await startServer(async (ws) => {
      const index = accepted.push(ws) - 1;
      received[index] = [];
      for await (const message of ws) {
        received[index]!.push(String(message));
        await ws.send(`got ${message}`);
        if (message === "restart") await ws.close(1012, "restarting");
        if (message === "ban me") await ws.close(1008, "banned");
      }
    });
    const child = client(["--reconnect", `ws://127.0.0.1:${scripted.addr.port}/`]);
    try {
      await child.waitFor("stderr", /^OPEN /, "OPEN");
      child.write("first\nrestart\n");
      await child.waitFor("stderr", /^CLOSED 1012 restarting$/, "CLOSED 1012");
      child.write("queued 1\nqueued 2\n");
      await child.waitFor("stderr", /^RECONNECTING in \d+ ms \(attempt 2\)$/, "RECONNECTING");
      await child.waitFor("stdout", /^got queued 2$/, "the queued lines' echoes");
      expect(received).toEqual([["first", "restart"], ["queued 1", "queued 2"]]);
      child.write("ban me\n");
      expect((await child.exited()).code).toBe(1);
      expect(child.stderr.at(-1)).toBe("GAVE UP CLOSED 1008 banned");
      expect(child.stdout).toEqual([
        "got first",
        "got restart",
        "got queued 1",
        "got queued 2",
        "got ban me",
      ]);
      const delay = Number(
        /in (\d+) ms/.exec(child.stderr.find((l) => l.startsWith("RECONNECTING"))!)![1],
      );
      expect(delay).toBeLessThanOrEqual(1_000); // the first retry comes within 1 s
    } finally {
      child.kill();
      await scripted.close();
    }
  });

  it("with --reconnect, retries a first attempt that is refused, then delivers the line typed meanwhile; end of input exits 0", async () => {
    const probe = await startServer(echo);
    const port = probe.addr.port;
    await probe.close();
    const child = client(["--reconnect", `ws://127.0.0.1:${port}/`]);
    let late: Server | undefined;
    try {
      await child.waitFor("stderr", /^RECONNECTING in \d+ ms \(attempt 2\)$/, "RECONNECTING");
      child.write("typed while down\n");
      child.endInput();
      late = await startServer(echo, { port });
      await child.waitFor("stdout", /^typed while down$/, "the echo", 20_000);
      expect((await child.exited()).code).toBe(0);
      expect(child.stderr).toContain(`OPEN ws://127.0.0.1:${port}/`);
    } finally {
      child.kill();
      await late?.close();
    }
  });

  it("trusts the CA that CA_FILE names for wss://", async () => {
    const certs = makeTestCerts();
    const dir = mkdtempSync(join(tmpdir(), "wsflow-client-"));
    const caFile = join(dir, "ca.pem");
    writeFileSync(caFile, certs.ca);
    const secure = await startServer(echo, { tls: { cert: certs.cert, key: certs.key } });
    const child = client([`wss://localhost:${secure.addr.port}/`], { CA_FILE: caFile });
    try {
      child.write("secure\n");
      await child.waitFor("stdout", /^secure$/, "the echo");
      child.endInput();
      expect((await child.exited()).code).toBe(0);
    } finally {
      child.kill();
      await secure.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("tunnels through HTTP_PROXY (lower case winning), and goes direct when NO_PROXY matches", async () => {
    const before = proxy!.connects.length;
    const through = client([url], {
      http_proxy: `http://127.0.0.1:${proxy!.port}`,
      HTTP_PROXY: "http://127.0.0.1:1",
    });
    try {
      through.write("proxied\n");
      await through.waitFor("stdout", /^proxied$/, "the echo");
      through.endInput();
      expect((await through.exited()).code).toBe(0);
      expect(proxy!.connects.slice(before)).toEqual([`127.0.0.1:${server!.addr.port}`]);
    } finally {
      through.kill();
    }
    const direct = client([url], {
      HTTP_PROXY: `http://127.0.0.1:${proxy!.port}`,
      NO_PROXY: "example.com, 127.0.0.1",
    });
    try {
      direct.write("direct\n");
      await direct.waitFor("stdout", /^direct$/, "the echo");
      direct.endInput();
      expect((await direct.exited()).code).toBe(0);
      expect(proxy!.connects.length).toBe(before + 1);
    } finally {
      direct.kill();
    }
  });

  it("passes Basic credentials from the proxy URL, and exits non-zero with 407 when the proxy refuses, also with --reconnect", async () => {
    const good = client([url], { HTTP_PROXY: `http://bob:pw@127.0.0.1:${locked!.port}` });
    try {
      good.write("authorized\n");
      await good.waitFor("stdout", /^authorized$/, "the echo");
      good.endInput();
      expect((await good.exited()).code).toBe(0);
    } finally {
      good.kill();
    }
    for (const args of [[url], ["--reconnect", url]]) {
      const refused = client(args, { HTTP_PROXY: `http://bob:wrong@127.0.0.1:${locked!.port}` });
      try {
        expect((await refused.exited()).code).toBe(1);
        const last = refused.stderr.at(-1) ?? "";
        expect(last).toMatch(/^GAVE UP .*407/);
        expect(last).not.toContain("wrong");
      } finally {
        refused.kill();
      }
    }
  });
});
