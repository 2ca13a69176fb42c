/**
 * The connection state machine, sans I/O, for both roles.
 *
 * Bytes from the peer go in through {@linkcode Session.prototype.receive}, which returns what
 * happened (messages, pings, pongs, the end of the connection); bytes for the peer come out of
 * {@linkcode Session.prototype.takeOutgoing}. The session never reads a socket, starts a timer
 * or closes anything: the caller does what it says. What it reports is typed in
 * `session_events.ts`, its options in `session_options.ts`.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-5.5}
 * @see {@link https://datatracker.ietf.org/doc/html/rfc6455#section-7.1}
 */

import { CloseCode, isSendableCloseCode } from "./close_code.ts";
import { buildClosePayload, type CloseInfo, parseClosePayload } from "./close_payload.ts";
import { ConnectionClosedError, WebSocketError } from "./errors.ts";
import type { Frame, Role } from "./frame.ts";
import { MAX_CONTROL_PAYLOAD } from "./frame.ts";
import {
  FrameParser,
  type FrameParserOptions,
  type FramePiece,
  type FramePieceSink,
  type FrameSink,
} from "./frame_parser.ts";
import { FrameSerializer } from "./frame_serializer.ts";
import type { Message } from "./message.ts";
import { MessageAssembler } from "./message_assembler.ts";
import { MessageStreamAssembler } from "./message_stream_assembler.ts";
import { Opcode } from "./opcode.ts";
import { decodeUtf8 } from "./utf8.ts";
import type { PreparedFrame } from "./prepared_frame.ts";
import type { CloseEvent, SessionEvent } from "./session_events.ts";
import type { SessionOptions } from "./session_options.ts";

// The session whose bytes the parser is reading (see `Session.#frames`).
let receiving: Session | undefined;

/**
 * The four states of a WebSocket connection (rfc6455#section-4.1, rfc6455#section-7.1). A
 * session starts `"open"`: it is created once the opening handshake has succeeded.
 *
 * @example
 * ```ts
 * import type { ReadyState } from "@wsflow/wsflow";
 * const state: ReadyState = "closing";
 * console.log(state);
 * ```
 */
export type ReadyState = "connecting" | "open" | "closing" | "closed";

const NO_EVENTS: readonly SessionEvent[] = Object.freeze([]);
const encoder = new TextEncoder();
// The bits of `Session.#bits`.
const DEFER_FAILURE = 1;
const DEFER_CLOSE_REPLY = 2;
const CLIENT = 4; // the role is "client"
const CLOSE_SENT = 8; // a Close frame was sent
// Bits 4-7: while a server session holds no serializer, the size its next output buffer starts
// at, as log2(size / 256) (0 for 256 up to 8 for 65,536).
const ARENA_SHIFT = 4;
const ARENA_BITS = 0xf0;

/**
 * One WebSocket connection's protocol state, after the opening handshake. Sans I/O: feed it the
 * peer's bytes, write what it gives you, and close the transport when it reports `closed`.
 *
 * It answers Pings with Pongs, echoes the peer's Close (with the peer's status code, or without
 * one when the peer sent none: rfc6455#section-5.5.1), and fails the connection with the right
 * code on every protocol error (rfc6455#section-7.1.7): 1002 framing, 1007 invalid UTF-8, 1009
 * limits.
 *
 * @example A server session receiving the RFC's masked "Hello"
 * ```ts
 * import { Session } from "@wsflow/wsflow";
 * const session = new Session({ role: "server" });
 * const events = session.receive(
 *   new Uint8Array([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]),
 * );
 * console.log(events); // [{ type: "message", data: "Hello" }]
 * session.send("Hi");
 * console.log(session.takeOutgoing()); // [Uint8Array [0x81, 0x02, 0x48, 0x69]]
 * ```
 */
export class Session {
  readonly #parser: FrameParser;
  // Made with the first data frame: a connection that never receives a message holds none.
  // Payloads come detached from the parser (`detach`), so the assembler need not look again.
  #assembler: MessageAssembler | undefined;
  readonly #streams: MessageStreamAssembler | undefined;
  // Made with the first frame to send: an idle connection that has sent nothing holds none.
  #serializer: FrameSerializer | undefined;
  #state: ReadyState = "open";
  #closeReceived: CloseInfo | undefined;
  #closed: CloseEvent | undefined;
  // Made when an event is queued: an idle session holds no array.
  #events: SessionEvent[] | undefined;
  // One frame sink and one piece sink serve every session, rather than two closures each (a
  // connection's cost): the parser calls them only from inside `receive`, which sets the
  // session they are for.
  static readonly #frames: FrameSink = (frame) => receiving!.#handleFrame(frame);
  static readonly #pieces: FramePieceSink = (piece) => receiving!.#handlePiece(piece);
  // `deferFailure`, `deferCloseReply`, the role and whether a Close was sent, as bits of one
  // field: on JavaScriptCore a session of 13 fields took a 160-byte cell, of 12 a 112-byte one;
  // on Node each field is 8 bytes of each connection.
  #bits: number;
  #deferred: WebSocketError | undefined;

  /**
   * Creates the instance.
   * @param options The role and limits.
   */
  constructor(options: SessionOptions) {
    if (options.streamMessages === true) this.#streams = new MessageStreamAssembler();
    const parserOptions: FrameParserOptions = {
      role: options.role,
      rsv1: options.perMessageDeflate ?? false,
      // Payload bytes reach the assemblers as they arrive, so text is checked as UTF-8 where it
      // arrives, even inside one frame (rfc6455#section-8.1), and streamed messages hold nothing.
      pieces: Session.#pieces,
      // Whole messages need only text early; binary payloads are joined as they always were.
      piecesOf: options.streamMessages === true ? "all" : "text",
      // Whole messages are kept by the application: a small one does not keep its chunk. A
      // streamed message's bytes are copied on as they are handed out anyway.
      detach: options.streamMessages !== true,
    };
    // Set rather than spread: a spread copies through a generic path for every connection.
    if (options.copyUpTo !== undefined && options.streamMessages !== true) {
      parserOptions.copyUpTo = options.copyUpTo;
    }
    if (options.wideUnmask !== undefined) parserOptions.wideUnmask = options.wideUnmask;
    if (options.limits !== undefined) parserOptions.limits = options.limits;
    this.#parser = new FrameParser(parserOptions);
    this.#bits = (options.deferFailure === true ? DEFER_FAILURE : 0) |
      (options.deferCloseReply === true ? DEFER_CLOSE_REPLY : 0) |
      (options.role === "client" ? CLIENT : 0);
  }

  /**
   * Which end this endpoint is.
   *
   * @returns `"client"` or `"server"`.
   */
  get role(): Role {
    return (this.#bits & CLIENT) !== 0 ? "client" : "server";
  }

  // Whether a Close frame was sent.
  get #closeSent(): boolean {
    return (this.#bits & CLOSE_SENT) !== 0;
  }

  /**
   * The connection's state.
   *
   * @returns `"open"`, `"closing"` once a Close frame was sent, or `"closed"`.
   */
  get readyState(): ReadyState {
    return this.#state;
  }

  /**
   * How the connection ended, once it has.
   *
   * @returns The close event, or `undefined` while the connection is open or closing.
   */
  get closeEvent(): CloseEvent | undefined {
    return this.#closed;
  }

  /**
   * Bytes held for messages that have not fully arrived: the unfinished frame and the
   * fragments of an unfinished message. What a peer can make this endpoint hold without ever
   * completing a message; bounded by the frame and message limits.
   *
   * @returns The count.
   */
  get heldBytes(): number {
    return this.#parser.heldBytes + (this.#assembler?.heldBytes ?? 0);
  }

  /**
   * Whether the peer's Close frame has arrived: nothing it sends after it is processed
   * (rfc6455#section-1.4).
   *
   * @returns `true` once it has.
   */
  get closeReceived(): boolean {
    return this.#closeReceived !== undefined;
  }

  /**
   * Whether bytes held may be views of the chunks they arrived in (the fragments of an
   * unfinished message so far; the parser copies the frame it is reading): a caller that reads
   * into buffers it reuses must not reuse one while this is so.
   *
   * @returns `true` while such bytes may be held.
   */
  get holdsViews(): boolean {
    return (this.#assembler?.heldBytes ?? 0) > 0;
  }

  /**
   * Bytes waiting in {@linkcode Session.prototype.takeOutgoing}.
   *
   * @returns The count.
   */
  get pendingBytes(): number {
    return this.#serializer?.pendingBytes ?? 0;
  }

  /**
   * Handles bytes from the peer.
   *
   * @param chunk The bytes, in any chunking; the session may keep views of it and change it.
   * @returns What happened, in order. After `closed`, further bytes are ignored.
   */
  receive(chunk: Uint8Array): readonly SessionEvent[] {
    if (
      this.#closed !== undefined || this.#closeReceived !== undefined ||
      this.#deferred !== undefined
    ) return NO_EVENTS;
    const outer = receiving;
    receiving = this;
    try {
      this.#parser.push(chunk, Session.#frames);
    } catch (error) {
      if ((this.#bits & DEFER_FAILURE) !== 0 && error instanceof WebSocketError) {
        this.#deferred = error;
        (this.#events ??= []).push({ type: "error", error });
      } else {
        this.#fail(error);
      }
    } finally {
      receiving = outer;
    }
    return this.#takeEvents();
  }

  /**
   * Queues a message.
   *
   * @param data Text (`string`) or binary (`Uint8Array`). Large binary payloads are not copied
   *   by a server: leave them unchanged until they are written.
   * @throws {ConnectionClosedError} Once a Close frame was sent (rfc6455#section-5.5.1: after
   *   sending a Close frame, the endpoint MUST NOT send any further data frames).
   */
  send(data: Message): void {
    this.#assertCanSend();
    if (typeof data === "string") this.#out().writeText(data);
    else this.#out().writeFrame(Opcode.Binary, data);
  }

  /**
   * Queues one fragment of a message (rfc6455#section-5.4). Start with `Opcode.Text` or
   * `Opcode.Binary`, continue with `Opcode.Continuation`, and set `fin` on the last fragment.
   *
   * @param opcode The fragment's opcode.
   * @param data The fragment's payload (text is encoded as UTF-8).
   * @param fin Whether this fragment ends the message.
   * @throws {ConnectionClosedError} Once a Close frame was sent.
   */
  sendFragment(opcode: Opcode, data: Message, fin: boolean): void {
    this.#assertCanSend();
    if (typeof data === "string") this.#out().writeText(data, fin, opcode);
    else this.#out().writeFrame(opcode, data, fin);
  }

  /**
   * Queues a message whose payload was compressed with permessage-deflate (its trailing
   * 0x00 0x00 0xff 0xff removed): one frame with RSV1 set (rfc7692#section-6).
   *
   * @param text Whether the uncompressed message is text.
   * @param payload The deflated payload.
   * @throws {ConnectionClosedError} Once a Close frame was sent.
   */
  sendCompressed(text: boolean, payload: Uint8Array): void {
    this.#assertCanSend();
    this.#out().writeFrame(text ? Opcode.Text : Opcode.Binary, payload, true, true);
  }

  /**
   * Queues a frame built once for many connections (topics): see {@linkcode PreparedFrame}.
   *
   * @param frame The frame; a deflated one (RSV1) only on a connection that negotiated
   *   permessage-deflate with parameters it was compressed for.
   * @throws {ConnectionClosedError} Once a Close frame was sent.
   */
  sendPrepared(frame: PreparedFrame): void {
    this.#assertCanSend();
    this.#out().writePrepared(frame);
  }

  /**
   * Queues a Ping.
   *
   * @param data Application data, at most 125 bytes.
   * @throws {RangeError} When `data` is longer than 125 bytes (rfc6455#section-5.5).
   * @throws {ConnectionClosedError} Once a Close frame was sent.
   */
  ping(data: Message = EMPTY): void {
    this.#control(Opcode.Ping, data);
  }

  /**
   * Queues an unsolicited Pong, a one-way heartbeat (rfc6455#section-5.5.3).
   *
   * @param data Application data, at most 125 bytes.
   * @throws {RangeError} When `data` is longer than 125 bytes (rfc6455#section-5.5).
   * @throws {ConnectionClosedError} Once a Close frame was sent.
   */
  pong(data: Message = EMPTY): void {
    this.#control(Opcode.Pong, data);
  }

  /**
   * Starts the closing handshake (rfc6455#section-7.1.2), or does nothing if a Close frame was
   * already sent. The connection is `closed` once the peer's Close arrives.
   *
   * @param code The status code; omit to send a Close frame without one.
   * @param reason The reason, at most 123 bytes of UTF-8; needs a code.
   * @throws {RangeError} When the code may not be sent or the reason is too long.
   */
  close(code?: number, reason?: string): void {
    if (this.#closeSent || this.#closed !== undefined) return;
    this.#sendClose(closeFramePayload(code, reason));
  }

  /**
   * Answers a Close frame that was reported as a `closing` event (with `deferCloseReply`):
   * sends the Close reply, echoing the peer's code, and ends the connection cleanly.
   *
   * @returns The `closed` event, or nothing when there was no Close to answer.
   */
  replyToClose(): readonly SessionEvent[] {
    const info = this.#closeReceived;
    if (info === undefined || this.#closed !== undefined) return NO_EVENTS;
    if (!this.#closeSent) {
      // rfc6455#section-5.5.1: the reply echoes the status code received, or has none
      this.#sendClose(
        info.code === CloseCode.NoStatusReceived
          ? EMPTY
          : closeFramePayload(info.code, info.reason),
      );
    }
    this.#end({ code: info.code, reason: info.reason, wasClean: true });
    return this.#takeEvents();
  }

  /**
   * Reports that the transport is gone. Unless the connection already ended, it ends now with
   * 1006 (rfc6455#section-7.1.5: _The WebSocket Connection is Closed_ without a Close frame).
   *
   * @returns The `closed` event, or nothing when the connection had already ended.
   */
  transportClosed(): readonly SessionEvent[] {
    if (this.#closed !== undefined) return NO_EVENTS;
    if (this.#closeReceived !== undefined && this.#closeSent) return NO_EVENTS;
    this.#end({ code: CloseCode.AbnormalClosure, reason: "", wasClean: false });
    return this.#takeEvents();
  }

  /**
   * Fails the connection because of a local condition (rfc6455#section-7.1.7): sends a Close
   * frame with the error's code unless one was sent, and ends the connection.
   *
   * @param error The reason; a {@linkcode WebSocketError} sends its close code, anything else
   *   1011 with no detail for the peer.
   * @returns The `closed` event, or nothing when the connection had already ended.
   */
  fail(error: unknown): readonly SessionEvent[] {
    if (this.#closed !== undefined) return NO_EVENTS;
    this.#fail(error);
    return this.#takeEvents();
  }

  /**
   * Takes the bytes to write to the peer, in order: usually one chunk for everything queued
   * since the last call.
   *
   * @returns The chunks, or `undefined` when there is nothing to write.
   */
  takeOutgoing(): Uint8Array[] | undefined {
    return this.#serializer?.take();
  }

  /**
   * Declares that every chunk returned by {@linkcode Session.prototype.takeOutgoing} so far has
   * been written to the transport: the session then holds no output buffer until it sends
   * again (see {@linkcode FrameSerializer.prototype.release}).
   *
   * @param reusable Whether the transport is done with the chunks once written (a socket: the
   *   kernel has a copy), so that their buffer may go to the next batch of any connection;
   *   `false` for one that may keep them (a stream whose consumer reads them later), whose
   *   chunks are then never written over.
   */
  releaseOutgoing(reusable = true): void {
    const serializer = this.#serializer;
    if (serializer === undefined) return;
    if (reusable) serializer.release();
    else serializer.handOff();
    // A server's serializer that holds nothing goes too (a client's keeps its pool of masking
    // keys): a quiet connection keeps only the size its next batch starts at, in four bits.
    if ((this.#bits & CLIENT) === 0 && serializer.empty) {
      const log = 31 - Math.clz32(serializer.nextArenaSize >>> 8);
      this.#bits = (this.#bits & ~ARENA_BITS) | (log << ARENA_SHIFT);
      this.#serializer = undefined;
      serializer.retire();
    }
  }

  #out(): FrameSerializer {
    const serializer = this.#serializer;
    if (serializer !== undefined) return serializer;
    const arenaSize = 256 << ((this.#bits & ARENA_BITS) >>> ARENA_SHIFT);
    return this.#serializer = (this.#bits & CLIENT) !== 0
      ? new FrameSerializer({ role: "client" })
      : FrameSerializer.server(arenaSize);
  }

  #takeEvents(): readonly SessionEvent[] {
    const events = this.#events;
    if (events === undefined || events.length === 0) return NO_EVENTS;
    this.#events = undefined;
    return events;
  }

  #handleFrame(frame: Frame): void {
    // rfc6455#section-1.4: after receiving a Close frame, no further data is processed
    if (this.#closeReceived !== undefined) return;
    switch (frame.opcode) {
      case Opcode.Text:
      case Opcode.Binary:
      case Opcode.Continuation: {
        if (this.#streams !== undefined) {
          this.#streams.push(frame, this.#events ??= []);
          return;
        }
        if (frame.fin && !frame.rsv1 && frame.opcode !== Opcode.Continuation) {
          // The common case, a message in one uncompressed frame (the parser has checked that
          // no fragmented message is under way): no assembler, so a connection that receives
          // only such messages holds none.
          const data = frame.opcode === Opcode.Text ? decodeUtf8(frame.payload) : frame.payload;
          (this.#events ??= []).push({ type: "message", data });
          return;
        }
        const message = (this.#assembler ??= new MessageAssembler({ detached: true })).push(frame);
        if (message !== undefined) this.#message(message);
        return;
      }
      case Opcode.Ping:
        // rfc6455#section-5.5.2: upon receipt of a Ping frame, an endpoint MUST send a Pong
        // frame in response, with identical application data, unless it already received a
        // Close frame (checked above); after sending Close it has nothing more to say
        if (!this.#closeSent) this.#out().writeFrame(Opcode.Pong, frame.payload);
        (this.#events ??= []).push({ type: "ping", data: frame.payload });
        return;
      case Opcode.Pong:
        (this.#events ??= []).push({ type: "pong", data: frame.payload });
        return;
      case Opcode.Close: {
        const info = parseClosePayload(frame.payload);
        this.#closeReceived = info;
        if (!this.#closeSent && (this.#bits & DEFER_CLOSE_REPLY) !== 0) {
          // rfc6455#section-5.5.1: the endpoint MAY delay sending a Close frame until its
          // current message is sent; the caller replies with replyToClose()
          (this.#events ??= []).push({ type: "closing", code: info.code, reason: info.reason });
          return;
        }
        if (!this.#closeSent) {
          // rfc6455#section-5.5.1: if an endpoint receives a Close frame and did not previously
          // send a Close frame, the endpoint MUST send a Close frame in response, typically
          // echoing the status code it received
          this.#sendClose(
            info.code === CloseCode.NoStatusReceived
              ? EMPTY
              : closeFramePayload(info.code, info.reason),
          );
        }
        // rfc6455#section-7.1.4: both Close frames are exchanged: _The WebSocket Closing
        // Handshake is Started_ and done
        this.#end({ code: info.code, reason: info.reason, wasClean: true });
        return;
      }
    }
  }

  /** A piece of a data frame whose payload spans chunks (the parser's piece mode). */
  #handlePiece(piece: FramePiece): void {
    if (this.#closeReceived !== undefined) return;
    if (this.#streams !== undefined) {
      this.#streams.pushPiece(piece, this.#events ??= []);
      return;
    }
    const message = (this.#assembler ??= new MessageAssembler({ detached: true })).pushPiece(piece);
    if (message !== undefined) this.#message(message);
  }

  #message(message: Message): void {
    const assembler = this.#assembler!;
    if (assembler.compressed) {
      (this.#events ??= []).push({
        type: "compressed",
        text: assembler.text,
        data: message as Uint8Array,
      });
    } else {
      (this.#events ??= []).push({ type: "message", data: message });
    }
    // Made again for the next message that needs one: a quiet connection holds none.
    this.#assembler = undefined;
  }

  #fail(error: unknown): void {
    const wsError = error instanceof WebSocketError ? error : undefined;
    const code = wsError?.closeCode ?? CloseCode.InternalError;
    // rfc6455#section-7.1.7: the endpoint SHOULD send a Close frame with an appropriate status
    // code before closing the connection; internal detail is not sent to the peer
    if (!this.#closeSent) this.#sendClose(closeFramePayload(code, ""));
    this.#end({
      code,
      reason: "",
      wasClean: false,
      ...(wsError === undefined
        ? {
          error: new WebSocketError("Cannot continue: internal error", code, { cause: error }),
        }
        : { error: wsError }),
    });
  }

  #sendClose(payload: Uint8Array): void {
    this.#bits |= CLOSE_SENT;
    if (this.#state === "open") this.#state = "closing";
    this.#out().writeFrame(Opcode.Close, payload);
  }

  #end(event: CloseEvent): void {
    if (this.#closed !== undefined) return;
    this.#state = "closed";
    this.#closed = event;
    (this.#events ??= []).push({ type: "closed", event });
  }

  #control(opcode: Opcode, data: Message): void {
    this.#assertCanSend();
    const payload = typeof data === "string" ? encoder.encode(data) : data;
    if (payload.length > MAX_CONTROL_PAYLOAD) {
      throw new RangeError(
        `Cannot send control frame: payload is ${payload.length} bytes, limit is 125 (rfc6455#section-5.5)`,
      );
    }
    this.#out().writeFrame(opcode, payload);
  }

  #assertCanSend(): void {
    if (this.#closeSent || this.#closed !== undefined) {
      const info = this.#closed ?? this.#closeReceived;
      throw new ConnectionClosedError(
        info?.code ?? CloseCode.NormalClosure,
        info?.reason ?? "",
        this.#closed?.wasClean ?? false,
      );
    }
  }
}

const EMPTY = new Uint8Array(0);
// The usual Close payload (a code, no reason), written here each time: the serializer copies a
// payload this small at once, and on Deno every new typed array costs about a microsecond.
const CODE_ONLY = new Uint8Array(2);

/** The payload of a Close frame about to be written: `buildClosePayload`'s, maybe shared. */
function closeFramePayload(code: number | undefined, reason: string | undefined): Uint8Array {
  if (code === undefined || (reason !== undefined && reason !== "") || !isSendableCloseCode(code)) {
    return buildClosePayload(code, reason);
  }
  CODE_ONLY[0] = code >>> 8;
  CODE_ONLY[1] = code & 0xff;
  return CODE_ONLY;
}
