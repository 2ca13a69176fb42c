/**
 * permessage-deflate on a connection: compressing sends and inflating received messages
 * without letting either overtake what came before it.
 *
 * @module
 * @see {@link https://datatracker.ietf.org/doc/html/rfc7692#section-7.2}
 */

import type { Message } from "../protocol/message.ts";
import { inflatedMessage } from "../protocol/message_assembler.ts";
import { Opcode } from "../protocol/opcode.ts";
import { PreparedFrame } from "../protocol/prepared_frame.ts";
import type { Session } from "../protocol/session.ts";
import type { ConnectionDeflate } from "./deflate_engine.ts";

const RESOLVED: Promise<void> = Promise.resolve();
const encoder = new TextEncoder();

function noop(): void {}

/**
 * The permessage-deflate side of one connection. Compression and inflation are asynchronous,
 * so each direction is a promise chain: a send waits behind earlier compressed sends
 * ({@linkcode MessageDeflate.prototype.outbound}), and received events wait behind a message
 * still being inflated ({@linkcode MessageDeflate.prototype.inbound}). A connection without
 * permessage-deflate has none of this.
 *
 * @example
 * ```ts ignore
 * const deflate = new MessageDeflate(session, connectionDeflate, 1 << 26);
 * if (deflate.wants("a long message…")) await deflate.send("a long message…");
 * ```
 */
export class MessageDeflate {
  readonly #session: Session;
  readonly #deflate: ConnectionDeflate;
  readonly #maxMessageSize: number;
  #outbound: Promise<void> | undefined;
  #inbound: Promise<void> | undefined;
  #preparedBytes = 0;

  /**
   * Creates the instance.
   *
   * @param session Where compressed messages are queued.
   * @param deflate The negotiated compressor and decompressor.
   * @param maxMessageSize The limit on inflated bytes (limits.maxMessageSize).
   */
  constructor(session: Session, deflate: ConnectionDeflate, maxMessageSize: number) {
    this.#session = session;
    this.#deflate = deflate;
    this.#maxMessageSize = maxMessageSize;
  }

  /**
   * Sends still being compressed: whatever is sent or closed later waits for it.
   *
   * @returns The promise, or `undefined` when nothing is being compressed.
   */
  get outbound(): Promise<void> | undefined {
    return this.#outbound;
  }

  /**
   * Received events being handled behind an inflating message: later events wait for it.
   *
   * @returns The promise, or `undefined` when nothing is being inflated.
   */
  get inbound(): Promise<void> | undefined {
    return this.#inbound;
  }

  /**
   * Whether `data` must go through {@linkcode MessageDeflate.prototype.send}: it may reach the
   * threshold, or earlier sends are still being compressed.
   *
   * @param data The message.
   * @returns `true` to send it here.
   */
  wants(data: Message): boolean {
    // Text may reach the threshold (in bytes) with a third as many UTF-16 units.
    return this.#outbound !== undefined ||
      (typeof data === "string" ? data.length * 3 : data.length) >= this.#deflate.threshold;
  }

  /**
   * Compresses (above the threshold) and queues `data` in the session, in order behind earlier
   * compressed sends.
   *
   * @param data The message.
   * @returns A promise that settles once the message is queued in the session.
   */
  send(data: Message): Promise<void> {
    const deflate = this.#deflate;
    // The threshold counts bytes: text is measured as the UTF-8 it is sent as.
    const encoded = typeof data === "string" && data.length < deflate.threshold
      ? encoder.encode(data)
      : undefined;
    const compress = (encoded ?? data).length >= deflate.threshold;
    const previous = this.#outbound ?? RESOLVED;
    const task = previous.then(async (): Promise<void> => {
      if (!compress) {
        this.#session.send(data);
        return;
      }
      const text = typeof data === "string";
      const payload = await deflate.deflater.compress(
        encoded ?? (text ? encoder.encode(data) : data),
      );
      this.#session.sendCompressed(text, payload);
    });
    const tracked = task.then(undefined, noop);
    this.#outbound = tracked;
    void tracked.then(() => {
      if (this.#outbound === tracked) this.#outbound = undefined;
    });
    return task;
  }

  /**
   * Bytes of prepared frames waiting to be compressed: they count against the send buffer.
   *
   * @returns The count.
   */
  get preparedBytes(): number {
    return this.#preparedBytes;
  }

  /**
   * Whether a prepared frame must go through
   * {@linkcode MessageDeflate.prototype.sendPrepared}.
   *
   * @param frame The frame.
   * @returns `true` to send it here.
   */
  wantsPrepared(frame: PreparedFrame): boolean {
    return this.#outbound !== undefined || frame.payload.length >= this.#deflate.threshold;
  }

  /**
   * Queues a prepared frame in order behind earlier compressed sends, compressed when it
   * reaches the threshold. Connections with the same `sharedWindowBits` share one compressed
   * frame: the first to get there compresses it, the others wait for that one.
   *
   * @param frame The uncompressed frame.
   * @returns A promise that settles once the frame is queued in the session.
   */
  sendPrepared(frame: PreparedFrame): Promise<void> {
    const deflate = this.#deflate;
    const compress = frame.payload.length >= deflate.threshold;
    const text = frame.opcode === Opcode.Text;
    const own = async (): Promise<void> => {
      this.#session.sendCompressed(text, await deflate.deflater.compress(frame.payload));
    };
    const size = frame.payload.length;
    this.#preparedBytes += size;
    const task = (this.#outbound ?? RESOLVED).then(async (): Promise<void> => {
      if (!compress) return this.#session.sendPrepared(frame);
      const bits = deflate.sharedWindowBits;
      if (bits === undefined) return own();
      let shared: PreparedFrame;
      try {
        shared = await frame.variant(bits, async () => {
          const payload = await deflate.deflater.compress(frame.payload);
          return new PreparedFrame(frame.opcode, payload, true);
        });
      } catch {
        // The connection that compressed it closed meanwhile: compress our own.
        return own();
      }
      this.#session.sendPrepared(shared);
    }).finally(() => {
      this.#preparedBytes -= size;
    });
    const tracked = task.then(undefined, noop);
    this.#outbound = tracked;
    void tracked.then(() => {
      if (this.#outbound === tracked) this.#outbound = undefined;
    });
    return task;
  }

  /**
   * Inflates one received message and turns it into a message (text decoded as UTF-8).
   *
   * @param text Whether it is a Text message.
   * @param payload The deflated payload.
   * @returns The message.
   * @throws {MessageTooBigError} (rejects) When it inflates past the message size limit (1009).
   * @throws {InvalidPayloadError} (rejects) When text is not valid UTF-8 (1007), or the
   *   payload is not valid deflate data.
   */
  async inflate(text: boolean, payload: Uint8Array): Promise<Message> {
    // The message size limit applies to the inflated bytes, checked while inflating
    // (a small compressed bomb fails with 1009 without being inflated).
    const bytes = await this.#deflate.inflater.decompress(payload, this.#maxMessageSize);
    return inflatedMessage(text, bytes);
  }

  /**
   * Makes later received events wait for `pending`.
   *
   * @param pending The handling of events behind an inflating message.
   */
  trackInbound(pending: Promise<void>): void {
    this.#inbound = pending;
    void pending.then(() => {
      if (this.#inbound === pending) this.#inbound = undefined;
    });
  }

  /** Frees the compressor and decompressor. */
  close(): void {
    this.#deflate.deflater.close();
    this.#deflate.inflater.close();
  }
}
