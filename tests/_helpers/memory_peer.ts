// A raw WebSocket client on one end of an in-memory byte pair: it writes exactly the frames a
// case needs and reads the frames the Connection under test sends, so timer and send-buffer
// tests can run without sockets (and, with a FakeClock, without waiting).
import type { Frame } from "../../src/protocol/frame.ts";
import { FrameParser } from "../../src/protocol/frame_parser.ts";
import { serializeFrame } from "../../src/protocol/frame_serializer.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import type { ByteStream } from "../../src/streams/byte_stream.ts";
import { Connection } from "../../src/streams/connection.ts";
import type { ConnectionWiring } from "../../src/streams/connection_options.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";

export const TEXT: Opcode = Opcode.Text;
export const CLOSE: Opcode = Opcode.Close;
export const PING: Opcode = Opcode.Ping;
export const PONG: Opcode = Opcode.Pong;

const MASK_KEY = new Uint8Array([0x12, 0x34, 0x56, 0x78]);

/** The code of a Close frame's payload, or undefined when it has none. */
export function closeCode(frame: Frame | undefined): number | undefined {
  const payload = frame?.payload;
  return payload === undefined || payload.length < 2 ? undefined : (payload[0]! << 8) | payload[1]!;
}

export class MemoryPeer {
  readonly #stream: ByteStream;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #frames: Frame[] = [];
  #waiting: ((frame: Frame | undefined) => void) | undefined;
  #reading = false;
  #ended = false;
  #resolveEnded!: () => void;
  /** Settles once the Connection's side has closed or torn down the byte stream. */
  readonly ended: Promise<void> = new Promise((resolve) => this.#resolveEnded = resolve);

  constructor(stream: ByteStream) {
    this.#stream = stream;
    this.#writer = stream.writable.getWriter();
    this.#writer.closed.catch(() => {});
  }

  /** Sends one frame, masked as a client must (rfc6455#section-5.3). */
  send(opcode: Opcode, payload: Uint8Array | string = new Uint8Array(0), fin = true): void {
    const bytes = typeof payload === "string" ? new TextEncoder().encode(payload) : payload;
    const frame = { fin, rsv1: false, rsv2: false, rsv3: false, opcode, payload: bytes };
    this.#writer.write(serializeFrame(frame, MASK_KEY)).catch(() => {});
  }

  /** Sends a Close frame with `code`. */
  sendClose(code: number): void {
    this.send(CLOSE, new Uint8Array([code >> 8, code & 0xff]));
  }

  /** Ends this side of the byte stream, as a TCP FIN. */
  closeTransport(): void {
    this.#writer.close().catch(() => {});
  }

  /** Frames received so far and not yet taken; starts reading on first use. */
  get received(): number {
    this.#startReading();
    return this.#frames.length;
  }

  /** The next frame from the Connection, or undefined once the stream ended. */
  nextFrame(): Promise<Frame | undefined> {
    this.#startReading();
    const frame = this.#frames.shift();
    if (frame !== undefined || this.#ended) return Promise.resolve(frame);
    return new Promise((resolve) => this.#waiting = resolve);
  }

  // Reading starts only when a test asks for frames, so a peer that never reads can be made.
  #startReading(): void {
    if (this.#reading) return;
    this.#reading = true;
    void (async () => {
      const parser = new FrameParser({ role: "client" });
      const reader = this.#stream.readable.getReader();
      try {
        while (true) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.push(value, (frame) => {
            const copy = { ...frame, payload: frame.payload.slice() };
            const waiting = this.#waiting;
            this.#waiting = undefined;
            if (waiting !== undefined) waiting(copy);
            else this.#frames.push(copy);
          });
        }
        // The other side closed: close ours too, as a socket without half-open does.
        this.closeTransport();
      } catch {
        // torn down
      }
      this.#ended = true;
      this.#waiting?.(undefined);
      this.#waiting = undefined;
      this.#resolveEnded();
    })();
  }
}

/**
 * A server `Connection` over an in-memory byte pair, on a fake clock with no heartbeat unless
 * `options` says otherwise, and the `MemoryPeer` at the other end.
 */
export function serverWithPeer(
  options: Omit<ConnectionWiring, "role"> = {},
): { server: Connection; peer: MemoryPeer } {
  const [serverEnd, peerEnd] = byteStreamPair();
  const server = new Connection(serverEnd, {
    role: "server",
    clock: new FakeClock(),
    heartbeatInterval: 0,
    ...options,
  } as ConnectionWiring);
  return { server, peer: new MemoryPeer(peerEnd) };
}
