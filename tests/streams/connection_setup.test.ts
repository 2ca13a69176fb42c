// connectionOptionsFrom and connectionDeflate (src/streams/connection_setup.ts): the one place
// where a finished handshake and the caller's settings become a Connection's options, for the
// server and the client alike. A hand-made deflate engine records what it was asked to build.
import { describe, expect, it } from "vitest";
import type { Role } from "../../src/protocol/frame.ts";
import {
  DEFAULT_DEFLATE_THRESHOLD,
  type DeflateParams,
} from "../../src/protocol/permessage_deflate.ts";
import { Connection } from "../../src/streams/connection.ts";
import {
  connectionDeflate,
  connectionOptionsFrom,
  type OpenedHandshake,
} from "../../src/streams/connection_setup.ts";
import type {
  DeflateEngine,
  MessageDeflater,
  MessageInflater,
} from "../../src/streams/deflate_engine.ts";
import { MemoryBudget } from "../../src/streams/memory_budget.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { thrown } from "../_helpers/thrown.ts";

const PARAMS: DeflateParams = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 10,
  clientMaxWindowBits: 15,
};

interface Built {
  kind: "deflater" | "inflater";
  params: DeflateParams;
  role: Role;
}

/** A deflate engine that builds do-nothing codecs and records each request. */
function recordingEngine(): { engine: DeflateEngine; built: Built[] } {
  const built: Built[] = [];
  const deflater: MessageDeflater = { compress: (data) => Promise.resolve(data), close() {} };
  const inflater: MessageInflater = { decompress: (data) => Promise.resolve(data), close() {} };
  return {
    built,
    engine: {
      deflater(params, role) {
        built.push({ kind: "deflater", params, role });
        return deflater;
      },
      inflater(params, role) {
        built.push({ kind: "inflater", params, role });
        return inflater;
      },
    },
  };
}

function opened(extra: Partial<OpenedHandshake> = {}): OpenedHandshake {
  return {
    protocol: "chat",
    extensions: "",
    url: new URL("ws://example.com/chat?room=1"),
    rest: new Uint8Array([0x81, 0x00]),
    ...extra,
  };
}

describe("connectionOptionsFrom", () => {
  it("takes the handshake's results, and leaves out every setting the caller left out", () => {
    const handshake = opened();
    const options = connectionOptionsFrom({}, "client", handshake);
    expect(options).toEqual({
      role: "client",
      protocol: "chat",
      extensions: "",
      url: handshake.url,
      head: handshake.rest,
    });
    // Absent, not undefined: the Connection's defaults apply (exactOptionalPropertyTypes).
    expect(Object.keys(options).sort()).toEqual(["extensions", "head", "protocol", "role", "url"]);
  });

  it("passes every setting both roles share, and the server's partialMessageBudget", () => {
    const budget = new MemoryBudget(1024);
    const headers = new Headers({ origin: "http://example.com" });
    const settings = {
      limits: { maxMessageSize: 4096 },
      closeTimeout: 1_000,
      heartbeatInterval: 0,
      idleTimeout: 60_000,
      sendBuffer: { limit: 1 << 20, policy: "drop" as const },
      partialMessageBudget: budget,
      // Fields the connection does not take are ignored, so whole ServeOptions or
      // ConnectOptions objects can be passed.
      handshakeTimeout: 5_000,
      protocols: ["chat"],
    };
    const options = connectionOptionsFrom(settings, "server", opened({ headers }));
    expect(options).toMatchObject({
      role: "server",
      headers,
      limits: { maxMessageSize: 4096 },
      closeTimeout: 1_000,
      heartbeatInterval: 0,
      idleTimeout: 60_000,
      sendBuffer: { limit: 1 << 20, policy: "drop" },
    });
    expect(options.partialMessageBudget).toBe(budget);
    expect("handshakeTimeout" in options).toBe(false);
  });

  it("rfc7692#section-7.1 builds the agreed deflate with the engine, for this end's role", () => {
    for (const role of ["server", "client"] as const) {
      const { engine, built } = recordingEngine();
      const options = connectionOptionsFrom(
        { deflateEngine: engine },
        role,
        opened({ extensions: "permessage-deflate", deflate: { params: PARAMS, threshold: 64 } }),
      );
      expect(built).toEqual([
        { kind: "deflater", params: PARAMS, role },
        { kind: "inflater", params: PARAMS, role },
      ]);
      expect(options.deflate?.threshold).toBe(64);
      expect(options.extensions).toBe("permessage-deflate");
    }
  });

  it("builds no deflate when none was agreed, even with an engine", () => {
    const { engine, built } = recordingEngine();
    const options = connectionOptionsFrom({ deflateEngine: engine }, "client", opened());
    expect(built).toEqual([]);
    expect("deflate" in options).toBe(false);
  });

  it("throws TypeError when deflate was agreed without an engine", () => {
    const error = thrown(() =>
      connectionOptionsFrom({}, "server", opened({ deflate: { params: PARAMS } }))
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toContain("deflateEngine");
  });

  it("makes options a Connection opens with", async () => {
    const [end] = byteStreamPair();
    const connection = new Connection(
      end,
      connectionOptionsFrom({ heartbeatInterval: 0 }, "client", opened()),
    );
    expect(connection.protocol).toBe("chat");
    expect(connection.url.href).toBe("ws://example.com/chat?room=1");
    connection.terminate();
    expect((await connection.closed).code).toBe(1006);
  });
});

describe("connectionDeflate", () => {
  it("rfc7692#section-7.1 uses DEFAULT_DEFLATE_THRESHOLD when the options name none", () => {
    const { engine } = recordingEngine();
    expect(connectionDeflate(engine, "client", { params: PARAMS }).threshold).toBe(
      DEFAULT_DEFLATE_THRESHOLD,
    );
    expect(connectionDeflate(engine, "client", { params: PARAMS, threshold: 0 }).threshold)
      .toBe(0);
  });
});
