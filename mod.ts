/**
 * wsflow: RFC 6455 WebSockets on web streams, the same on Deno, Bun and Node.
 *
 * This entry point is runtime-free: the protocol core (frames, masking, UTF-8, close payloads,
 * the session state machine), the web-streams layer (frame decoder and encoder streams, the
 * `Connection` a handler holds), topics (publish once to every subscriber, in this process or,
 * through a fan-out, across processes) and the public types and errors. Runtime adapters are
 * separate entry points: `wsflow/deno`, `wsflow/bun` and `wsflow/node`; the Redis fan-out is
 * `wsflow/redis`.
 *
 * @example Decode a frame
 * ```ts
 * import { FrameParser } from "@wsflow/wsflow";
 * const parser = new FrameParser({ role: "client" });
 * parser.push(new Uint8Array([0x81, 0x02, 0x68, 0x69]), (frame) => {
 *   console.log(new TextDecoder().decode(frame.payload)); // hi
 * });
 * ```
 *
 * @module
 */

export {
  CloseCode,
  isReceivableCloseCode,
  isSendableCloseCode,
} from "./src/protocol/close_code.ts";
export {
  buildClosePayload,
  type CloseInfo,
  MAX_CLOSE_REASON_BYTES,
  parseClosePayload,
} from "./src/protocol/close_payload.ts";
export {
  ConnectionClosedError,
  HandshakeError,
  InvalidPayloadError,
  MandatoryExtensionError,
  MessageTooBigError,
  PolicyViolationError,
  ProtocolError,
  TimeoutError,
  type TimeoutKind,
  UnsupportedDataError,
  WebSocketError,
} from "./src/protocol/errors.ts";
export { type Frame, MAX_CONTROL_PAYLOAD, type Role } from "./src/protocol/frame.ts";
export {
  FrameParser,
  type FrameParserOptions,
  type FramePiece,
  type FramePieceSink,
  type FrameSink,
} from "./src/protocol/frame_parser.ts";
export {
  FrameSerializer,
  type FrameSerializerOptions,
  serializeFrame,
} from "./src/protocol/frame_serializer.ts";
export { acceptKey, acceptKeyWith, type Sha1 } from "./src/protocol/accept_key.ts";
export {
  type ClientHandshake,
  type ClientHandshakeOptions,
  createClientHandshake,
  type ExpectedUpgrade,
  type UpgradeResponseInfo,
  type UpgradeResponseLike,
  validateUpgradeResponse,
} from "./src/protocol/client_handshake.ts";
export {
  type ExtensionOffer,
  formatExtensionList,
  isToken,
  parseExtensionList,
  parseTokenList,
} from "./src/protocol/header_lists.ts";
export { type Http1Request, Http1RequestParser } from "./src/protocol/http1_request_parser.ts";
export { type Http1Response, Http1ResponseParser } from "./src/protocol/http1_response_parser.ts";
export { refusalResponse, serializeResponseHead } from "./src/protocol/http1_response_writer.ts";
export {
  DEFAULT_DEFLATE_THRESHOLD,
  type DeflateParams,
  PERMESSAGE_DEFLATE,
  type PerMessageDeflateOptions,
} from "./src/protocol/permessage_deflate.ts";
export {
  acceptServerResponse,
  buildClientOffer,
} from "./src/protocol/permessage_deflate_client.ts";
export {
  negotiateServer,
  type ServerNegotiation,
} from "./src/protocol/permessage_deflate_server.ts";
export {
  DEFAULT_LIMITS,
  DEFAULT_STREAMING_LIMITS,
  type Limits,
  MAX_HEADER_COUNT,
  type StreamingLimits,
} from "./src/protocol/limits.ts";
export { applyMask, copyMasked } from "./src/protocol/mask.ts";
export type { Message } from "./src/protocol/message.ts";
export { MessageAssembler } from "./src/protocol/message_assembler.ts";
export {
  MessageStreamAssembler,
  type MessageStreamEvent,
} from "./src/protocol/message_stream_assembler.ts";
export { isControlOpcode, isKnownOpcode, Opcode } from "./src/protocol/opcode.ts";
export {
  isUpgradeRequest,
  type UpgradeRequestInfo,
  type UpgradeRequestLike,
  upgradeResponseHead,
  type UpgradeResponseOptions,
  validateUpgradeRequest,
} from "./src/protocol/server_handshake.ts";
export {
  createExtendedConnect,
  type ExtendedConnect,
  type ExtendedConnectAnswer,
  type ExtendedConnectOptions,
  extendedConnectRefusalFields,
  type ExtendedConnectRequest,
  extendedConnectResponseFields,
  ExtendedConnectUnsupportedError,
  validateExtendedConnect,
  validateExtendedConnectResponse,
} from "./src/protocol/extended_connect.ts";
export { type ReadyState, Session } from "./src/protocol/session.ts";
export type { CloseEvent, SessionEvent } from "./src/protocol/session_events.ts";
export type { SessionOptions } from "./src/protocol/session_options.ts";
export { decodeUtf8, isValidUtf8, Utf8StreamDecoder } from "./src/protocol/utf8.ts";
export type { ByteStream, NetAddr } from "./src/streams/byte_stream.ts";
export { type Clock, REAL_CLOCK } from "./src/streams/clock.ts";
export { Connection } from "./src/streams/connection.ts";
export type { IncomingMessageStream } from "./src/streams/incoming_streams.ts";
export type { MessageSource } from "./src/streams/outgoing_stream.ts";
export type { ConnectionOptions, SendBufferOptions } from "./src/streams/connection_options.ts";
export type {
  CloseInitiator,
  ConnectionObserver,
  ObservedConnection,
  SendDropReason,
} from "./src/streams/connection_observer.ts";
export {
  type ConnectionLimit,
  type ConnectionLimitEvent,
  type DiagnosticEvent,
  type DiagnosticListener,
  type HandlerErrorEvent,
  subscribeDiagnostics,
  type UpgradeRefusedEvent,
} from "./src/streams/diagnostics.ts";
export type {
  ConnectionDeflate,
  DeflateEngine,
  MessageDeflater,
  MessageInflater,
} from "./src/streams/deflate_engine.ts";
export { MemoryBudget, PARTIAL_MESSAGE_BUDGET } from "./src/streams/memory_budget.ts";
export { FrameDecoderStream } from "./src/streams/frame_decoder_stream.ts";
export {
  FrameEncoderStream,
  type FrameEncoderStreamOptions,
} from "./src/streams/frame_encoder_stream.ts";
export { handleStream } from "./src/server/handle_stream.ts";
export {
  type Listener,
  type Listener as StreamSource,
  type ListenOptions,
} from "./src/server/listener.ts";
export type { ErrorContext, ServeOptions, Server, ShutdownOptions } from "./src/server/options.ts";
export { serveListener } from "./src/server/serve_listener.ts";
export type { ServerObserver } from "./src/server/server_observer.ts";
export {
  checkOrigin,
  type OriginCheck,
  type OriginOption,
  OriginPolicy,
} from "./src/router/origin.ts";
export {
  type RouteParamNames,
  type RouteParams,
  RoutePattern,
} from "./src/router/route_pattern.ts";
export type {
  Handler,
  HandlerContext,
  MessageHooks,
  RouteContext,
  WebSocketHandler,
} from "./src/router/handler.ts";
export {
  type Route,
  type RouteFound,
  type RouteMatch,
  type RouteOptions,
  Router,
  type RouteRefused,
} from "./src/router/router.ts";
export { runUpgrade, type RunUpgradeOptions, type UpgradeDecision } from "./src/router/upgrade.ts";
export type {
  UpgradeAccept,
  UpgradeContext,
  UpgradeHook,
  UpgradeResult,
} from "./src/router/upgrade_hook.ts";
export {
  type ClientTlsOptions,
  type ConnectOptions,
  connectWith,
  type OpenSocket,
  type SocketTarget,
} from "./src/client/connect.ts";
export {
  WebSocket,
  type WebSocketBinaryType,
  type WebSocketOptions,
} from "./src/client/websocket.ts";
export { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from "./src/client/backoff.ts";
export {
  OfflineQueue,
  type OfflineQueueOptions,
  QueueFullError,
} from "./src/client/offline_queue.ts";
export {
  matchesNoProxy,
  parseProxyUrl,
  type ProxyEnv,
  ProxyError,
  proxyFromEnv,
  redactProxyUrl,
  type SocketProxy,
  socketProxy,
  type TunnelIo,
} from "./src/client/proxy.ts";
export { ReconnectingConnection } from "./src/client/reconnecting_connection.ts";
export {
  type AttemptInfo,
  type ConnectFunction,
  type OpenInfo,
  type ReconnectEnd,
  type ReconnectEvents,
  type ReconnectOptions,
  type ReconnectState,
  type UrlSource,
} from "./src/client/reconnect_options.ts";
export {
  ReconnectingWebSocket,
  type ReconnectingWebSocketOptions,
} from "./src/client/reconnecting_websocket.ts";
export {
  causeOfError,
  type ReconnectCause,
  RETRYABLE_CLOSE_CODES,
  RETRYABLE_STATUSES,
  retryAfterDelay,
  shouldReconnect,
} from "./src/client/retry_policy.ts";
export {
  type WebSocketCloseInfo,
  type WebSocketOpenInfo,
  WebSocketStream,
  type WebSocketStreamOptions,
} from "./src/client/websocket_stream.ts";
export { PREPARED_WHOLE_LIMIT, PreparedFrame } from "./src/protocol/prepared_frame.ts";
export { Topics } from "./src/pubsub/topics.ts";
export type {
  TopicErrorContext,
  TopicListener,
  TopicsOptions,
  TopicStats,
} from "./src/pubsub/topics_options.ts";
export type { PublishResult } from "./src/pubsub/publish_result.ts";
export type { FanOut, FanOutSink, FanOutStage } from "./src/pubsub/fan_out.ts";
export { MemoryHub } from "./src/pubsub/memory_fan_out.ts";
