// The public surface of every entry point, pinned: an export added or removed by accident fails
// here (STYLE.md habit 4). After a deliberate change, regenerate the table with
// `node --import tsx scripts/pin_public_api.ts` and say why in the commit.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "../scripts/test_programs.ts";
import { exportedNames } from "./_helpers/exported_names.ts";
import { runtime } from "./_helpers/adapter_for_runtime.ts";

const PINNED: Record<string, readonly string[]> = {
  ".": [
    "acceptKey",
    "acceptServerResponse",
    "applyMask",
    "buildClientOffer",
    "buildClosePayload",
    "type ByteStream",
    "checkOrigin",
    "type ClientHandshake",
    "type ClientHandshakeOptions",
    "type ClientTlsOptions",
    "type Clock",
    "CloseCode",
    "type CloseEvent",
    "type CloseInfo",
    "Connection",
    "ConnectionClosedError",
    "type ConnectionDeflate",
    "type ConnectionOptions",
    "type ConnectOptions",
    "connectWith",
    "copyMasked",
    "createClientHandshake",
    "decodeUtf8",
    "DEFAULT_DEFLATE_THRESHOLD",
    "DEFAULT_LIMITS",
    "DEFAULT_STREAMING_LIMITS",
    "type DeflateEngine",
    "type DeflateParams",
    "type ErrorContext",
    "type ExpectedUpgrade",
    "type ExtensionOffer",
    "formatExtensionList",
    "type Frame",
    "FrameDecoderStream",
    "FrameEncoderStream",
    "type FrameEncoderStreamOptions",
    "FrameParser",
    "type FrameParserOptions",
    "type FramePiece",
    "type FramePieceSink",
    "FrameSerializer",
    "type FrameSerializerOptions",
    "type FrameSink",
    "type Handler",
    "type HandlerContext",
    "handleStream",
    "HandshakeError",
    "type Http1Request",
    "Http1RequestParser",
    "type Http1Response",
    "Http1ResponseParser",
    "type IncomingMessageStream",
    "InvalidPayloadError",
    "isControlOpcode",
    "isKnownOpcode",
    "isReceivableCloseCode",
    "isSendableCloseCode",
    "isToken",
    "isUpgradeRequest",
    "isValidUtf8",
    "type Limits",
    "type Listener",
    "type ListenOptions",
    "MandatoryExtensionError",
    "MAX_CLOSE_REASON_BYTES",
    "MAX_CONTROL_PAYLOAD",
    "MAX_HEADER_COUNT",
    "MemoryBudget",
    "type Message",
    "MessageAssembler",
    "type MessageDeflater",
    "type MessageInflater",
    "type MessageSource",
    "MessageStreamAssembler",
    "type MessageStreamEvent",
    "MessageTooBigError",
    "negotiateServer",
    "type NetAddr",
    "Opcode",
    "type OpenSocket",
    "type OriginCheck",
    "type OriginOption",
    "OriginPolicy",
    "parseClosePayload",
    "parseExtensionList",
    "parseTokenList",
    "PARTIAL_MESSAGE_BUDGET",
    "PERMESSAGE_DEFLATE",
    "type PerMessageDeflateOptions",
    "PolicyViolationError",
    "ProtocolError",
    "type ReadyState",
    "REAL_CLOCK",
    "refusalResponse",
    "type Role",
    "type Route",
    "type RouteContext",
    "type RouteFound",
    "type RouteMatch",
    "type RouteOptions",
    "type RouteParamNames",
    "type RouteParams",
    "RoutePattern",
    "Router",
    "type RouteRefused",
    "runUpgrade",
    "type RunUpgradeOptions",
    "type SendBufferOptions",
    "serializeFrame",
    "serializeResponseHead",
    "serveListener",
    "type ServeOptions",
    "type Server",
    "type ServerNegotiation",
    "Session",
    "type SessionEvent",
    "type SessionOptions",
    "type ShutdownOptions",
    "type SocketTarget",
    "type StreamingLimits",
    "type StreamSource",
    "TimeoutError",
    "type TimeoutKind",
    "UnsupportedDataError",
    "type UpgradeAccept",
    "type UpgradeContext",
    "type UpgradeDecision",
    "type UpgradeHook",
    "type UpgradeRequestInfo",
    "type UpgradeRequestLike",
    "upgradeResponseHead",
    "type UpgradeResponseInfo",
    "type UpgradeResponseLike",
    "type UpgradeResponseOptions",
    "type UpgradeResult",
    "Utf8StreamDecoder",
    "validateUpgradeRequest",
    "validateUpgradeResponse",
    "WebSocket",
    "type WebSocketBinaryType",
    "type WebSocketCloseInfo",
    "WebSocketError",
    "type WebSocketHandler",
    "type WebSocketOpenInfo",
    "type WebSocketOptions",
    "WebSocketStream",
    "type WebSocketStreamOptions",
  ],
  "./deno": [
    "connect",
    "createZlibDeflateEngine",
    "DEFAULT_ZLIB_CONCURRENCY",
    "listen",
    "type Listener",
    "openSocket",
    "serve",
    "setZlibConcurrency",
    "WebSocket",
    "WebSocketStream",
    "zlibDeflateEngine",
    "type ZlibDeflateEngineOptions",
    "zlibQueueState",
    "type ZlibQueueState",
  ],
  "./bun": [
    "connect",
    "createZlibDeflateEngine",
    "DEFAULT_ZLIB_CONCURRENCY",
    "listen",
    "type Listener",
    "openSocket",
    "serve",
    "setZlibConcurrency",
    "WebSocket",
    "WebSocketStream",
    "zlibDeflateEngine",
    "type ZlibDeflateEngineOptions",
    "zlibQueueState",
    "type ZlibQueueState",
  ],
  "./node": [
    "connect",
    "createZlibDeflateEngine",
    "DEFAULT_ZLIB_CONCURRENCY",
    "handleUpgrade",
    "listen",
    "type Listener",
    "openSocket",
    "serve",
    "setZlibConcurrency",
    "socketToByteStream",
    "type UpgradeListener",
    "WebSocket",
    "WebSocketStream",
    "zlibDeflateEngine",
    "type ZlibDeflateEngineOptions",
    "zlibQueueState",
    "type ZlibQueueState",
  ],
  "./testing": [
    "type ByteStream",
    "byteStreamPair",
    "connectedPair",
    "type ConnectedPair",
    "type ConnectedPairOptions",
    "FakeClock",
  ],
};
const ENTRY_POINTS = JSON.parse(readFileSync(join(REPO_ROOT, "deno.json"), "utf8"))
  .exports as Record<
    string,
    string
  >;

describe("public API", () => {
  it("package.json and deno.json name the same entry points", () => {
    const npm = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")).exports as Record<
      string,
      unknown
    >;
    expect(Object.keys(npm).sort()).toEqual(Object.keys(ENTRY_POINTS).sort());
  });

  it("every entry point is pinned", () => {
    expect(Object.keys(PINNED).sort()).toEqual(Object.keys(ENTRY_POINTS).sort());
  });

  for (const [entry, file] of Object.entries(ENTRY_POINTS)) {
    it(`${entry} (${file}) exports exactly the pinned names`, () => {
      const names = exportedNames(readFileSync(join(REPO_ROOT, file), "utf8"));
      expect(names).toEqual(PINNED[entry]);
    });
  }

  // The value exports, as the runtime sees them: the entry points that load on this runtime
  // (the runtime-free ones and this runtime's adapter).
  const loadable = Object.entries(ENTRY_POINTS).filter(([entry]) =>
    !["./deno", "./bun", "./node"].includes(entry) || entry === `./${runtime}`
  );
  for (const [entry, file] of loadable) {
    it(`${entry} loads on ${runtime} with exactly the pinned value exports`, async () => {
      const namespace = await import(join(REPO_ROOT, file)) as Record<string, unknown>;
      const values = (PINNED[entry] ?? []).filter((name) => !name.startsWith("type "));
      expect(Object.keys(namespace).sort()).toEqual([...values].sort());
    });
  }

  it("the reader sees values, types, renames and export *", () => {
    const source = [
      "/** export const Hidden = 1; */",
      "export { a, type B, c as d } from './x.ts';",
      "export type { E } from './y.ts';",
      "export function f(): void {}",
      "export interface G {}",
      "export * from './z.ts';",
    ].join("\n");
    const names = exportedNames(source);
    expect(names.filter((name) => !name.startsWith("* "))).toEqual([
      "a",
      "type B",
      "d",
      "type E",
      "f",
      "type G",
    ]);
    expect(names.filter((name) => name.startsWith("* "))).toHaveLength(1);
  });
});
