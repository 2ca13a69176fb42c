// HTTP proxies over real sockets on this runtime's adapter: a real proxy server (the `proxy`
// npm package, in a Node process of its own) tunnels ws:// and wss:// with CONNECT
// (rfc9110#section-9.3.6) and Basic credentials; wss:// is TLS end to end with the origin
// (the certificate is the origin's, checked against the test CA). Refusals (407 without or
// with wrong credentials, 403) and a proxy that is down reject with a typed ProxyError.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProxyError } from "../../src/client/proxy.ts";
import type { Server } from "../../src/server/options.ts";
import type { Connection } from "../../src/streams/connection.ts";
import { runtime } from "../_helpers/adapter_for_runtime.ts";
import { loadClient } from "../_helpers/client_for_runtime.ts";
import { startServer } from "../_helpers/pmd_server.ts";
import { type ProxyProcess, startProxy } from "../_helpers/proxy_process.ts";
import { makeTestCerts, type TestCerts } from "../_helpers/test_certs.ts";
import { withTimeout } from "../_helpers/with_timeout.ts";

const client = await loadClient();
const echo = async (ws: Connection): Promise<void> => {
  for await (const message of ws) await ws.send(message);
};

async function roundTrip(ws: Connection): Promise<string> {
  await ws.send("through the tunnel");
  const result = await withTimeout(ws[Symbol.asyncIterator]().next(), 5_000, "the echo");
  await ws.close(1000);
  return String(result.value);
}

async function failure(promise: Promise<Connection>): Promise<unknown> {
  return await withTimeout(
    promise.then((ws) => {
      ws.terminate();
      return new Error("connected");
    }, (error: unknown) => error),
    10_000,
    "the attempt fails",
  );
}

describe(`HTTP proxy tunnels on ${runtime}`, () => {
  let certs: TestCerts;
  let plain: Server | undefined;
  let secure: Server | undefined;
  let open: ProxyProcess | undefined;
  let authenticated: ProxyProcess | undefined;
  let denying: ProxyProcess | undefined;
  beforeAll(async () => {
    certs = makeTestCerts();
    plain = await startServer(echo);
    secure = await startServer(echo, { tls: { cert: certs.cert, key: certs.key } });
    [open, authenticated, denying] = await Promise.all([
      startProxy(),
      startProxy({ PROXY_USER: "alice", PROXY_PASS: "s3cret:é" }),
      startProxy({ PROXY_DENY: "1" }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), authenticated?.stop(), denying?.stop()]);
    await plain?.close();
    await secure?.close();
  });

  const credentials = encodeURIComponent("alice") + ":" + encodeURIComponent("s3cret:é");

  it("rfc9110#section-9.3.6 tunnels ws:// through the proxy with Basic credentials from its userinfo", async () => {
    const ws = await client.connect(`ws://127.0.0.1:${plain!.addr.port}/`, {
      proxy: `http://${credentials}@127.0.0.1:${authenticated!.port}`,
    });
    expect(await roundTrip(ws)).toBe("through the tunnel");
    expect(authenticated!.connects).toContain(`127.0.0.1:${plain!.addr.port}`);
  });

  it("rfc9110#section-9.3.6 tunnels wss:// with TLS end to end: the origin's certificate is checked through the tunnel", async () => {
    const url = `wss://localhost:${secure!.addr.port}/`;
    const ws = await client.connect(url, {
      proxy: `http://127.0.0.1:${open!.port}`,
      tls: { ca: certs.ca },
    });
    expect(await roundTrip(ws)).toBe("through the tunnel");
    expect(open!.connects).toContain(`localhost:${secure!.addr.port}`);
    // Without the test CA the origin's certificate fails: TLS is with the origin, not the proxy.
    const untrusted = await failure(
      client.connect(url, { proxy: `http://127.0.0.1:${open!.port}`, handshakeTimeout: 3_000 }),
    );
    expect(untrusted).toMatchObject({ name: "HandshakeError", status: 0 });
  });

  it("takes the proxy from HTTP_PROXY / HTTPS_PROXY in proxyEnv, and goes direct when NO_PROXY matches", async () => {
    const before = open!.connects.length;
    const ws = await client.connect(`ws://127.0.0.1:${plain!.addr.port}/`, {
      proxyEnv: { HTTP_PROXY: `http://127.0.0.1:${open!.port}` },
    });
    expect(await roundTrip(ws)).toBe("through the tunnel");
    expect(open!.connects.length).toBe(before + 1);
    const secureWs = await client.connect(`wss://localhost:${secure!.addr.port}/`, {
      proxyEnv: { https_proxy: `127.0.0.1:${open!.port}`, HTTPS_PROXY: "http://127.0.0.1:1" },
      tls: { ca: certs.ca },
    });
    expect(await roundTrip(secureWs)).toBe("through the tunnel");
    expect(open!.connects.length).toBe(before + 2);
    const direct = await client.connect(`ws://127.0.0.1:${plain!.addr.port}/`, {
      proxyEnv: { HTTP_PROXY: `http://127.0.0.1:${open!.port}`, NO_PROXY: "localhost,127.0.0.1" },
    });
    expect(await roundTrip(direct)).toBe("through the tunnel");
    const off = await client.connect(`ws://127.0.0.1:${plain!.addr.port}/`, {
      proxy: false,
      proxyEnv: { HTTP_PROXY: `http://127.0.0.1:${open!.port}` },
    });
    expect(await roundTrip(off)).toBe("through the tunnel");
    expect(open!.connects.length).toBe(before + 2);
  });

  it("rejects with a ProxyError of status 407 without credentials and with wrong ones", async () => {
    const url = `ws://127.0.0.1:${plain!.addr.port}/`;
    for (const userinfo of ["", "alice:wrong@"]) {
      const error = await failure(
        client.connect(url, { proxy: `http://${userinfo}127.0.0.1:${authenticated!.port}` }),
      );
      expect(error).toBeInstanceOf(ProxyError);
      expect(error).toMatchObject({ status: 407 });
      expect((error as ProxyError).headers.get("proxy-authenticate")).toMatch(/^Basic/);
      expect((error as Error).message).not.toContain("wrong");
    }
  });

  it("rejects with a ProxyError of status 403 from a proxy that forbids the tunnel", async () => {
    const error = await failure(
      client.connect(`wss://localhost:${secure!.addr.port}/`, {
        proxy: `http://127.0.0.1:${denying!.port}`,
        tls: { ca: certs.ca },
      }),
    );
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ status: 403 });
  });

  it("rejects with a ProxyError of status 0 naming the proxy when the proxy is down", async () => {
    const down = await startProxy();
    const port = down.port;
    await down.stop();
    const error = await failure(
      client.connect(`ws://127.0.0.1:${plain!.addr.port}/`, {
        proxy: `http://user:pw@127.0.0.1:${port}`,
      }),
    );
    expect(error).toBeInstanceOf(ProxyError);
    expect(error).toMatchObject({ status: 0 });
    expect((error as Error).message).toContain(`Cannot connect to proxy http://127.0.0.1:${port}`);
    expect((error as Error).message).not.toContain("pw");
  });
});
