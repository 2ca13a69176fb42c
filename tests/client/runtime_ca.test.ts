// wss:// trusts what the runtime's standard CA settings add, with no `tls` option: Node's and
// Bun's NODE_EXTRA_CA_CERTS, Deno's DENO_CERT and --cert. These are read when the runtime
// starts, so each case runs a child process of this runtime (tests/_helpers/wss_probe.ts) with
// the setting, against a wsflow TLS server in this process whose CA is given nowhere else. The
// same child without the setting must fail: the CA really is only given there.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../../src/server/options.ts";
import { runtime, serveForRuntime } from "../_helpers/adapter_for_runtime.ts";
import { startChild } from "../_helpers/child_process.ts";
import { makeTestCerts } from "../_helpers/test_certs.ts";

const PROBE = "tests/_helpers/wss_probe.ts";

interface Setting {
  name: string;
  env: (caFile: string) => Record<string, string>;
  runtimeArgs: (caFile: string) => string[];
}

const SETTINGS: Record<typeof runtime, Setting[]> = {
  node: [{
    name: "NODE_EXTRA_CA_CERTS",
    env: (file) => ({ NODE_EXTRA_CA_CERTS: file }),
    runtimeArgs: () => [],
  }],
  bun: [{
    name: "NODE_EXTRA_CA_CERTS",
    env: (file) => ({ NODE_EXTRA_CA_CERTS: file }),
    runtimeArgs: () => [],
  }],
  deno: [
    { name: "DENO_CERT", env: (file) => ({ DENO_CERT: file }), runtimeArgs: () => [] },
    { name: "--cert", env: () => ({}), runtimeArgs: (file) => ["--cert", file] },
  ],
};

// None of these may leak in from the environment the tests run in.
const CLEAN = { NODE_EXTRA_CA_CERTS: undefined, DENO_CERT: undefined, SSL_CERT_FILE: undefined };

describe(`wss:// with the runtime's standard CA settings on ${runtime}`, () => {
  let server: Server | undefined;
  let dir = "";
  let caFile = "";
  beforeAll(async () => {
    const certs = makeTestCerts();
    dir = mkdtempSync(join(tmpdir(), "wsflow-ca-"));
    caFile = join(dir, "ca.pem");
    writeFileSync(caFile, certs.ca);
    server = await serveForRuntime(async (ws) => {
      for await (const message of ws) await ws.send(message);
    }, {
      hostname: "127.0.0.1",
      port: 0,
      heartbeatInterval: 0,
      tls: { cert: certs.cert, key: certs.key },
    });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = (): string => `wss://localhost:${server!.addr.port}/`;

  it("fails the TLS handshake without the setting (the CA is given nowhere else)", async () => {
    const child = startChild(PROBE, [url()], CLEAN);
    try {
      expect((await child.exited(20_000)).code, child.output()).toBe(1);
      expect(child.stdout.join("\n")).toMatch(/^FAILED /);
    } finally {
      child.kill();
    }
  });

  for (const setting of SETTINGS[runtime]) {
    it(`trusts the CA that ${setting.name} names, through connect and WebSocket`, async () => {
      const child = startChild(
        PROBE,
        [url()],
        { ...CLEAN, ...setting.env(caFile) },
        setting.runtimeArgs(caFile),
      );
      try {
        expect((await child.exited(20_000)).code, child.output()).toBe(0);
        expect(child.stdout).toEqual(["connect: over connect", "WebSocket: over WebSocket"]);
      } finally {
        child.kill();
      }
    });
  }
});
