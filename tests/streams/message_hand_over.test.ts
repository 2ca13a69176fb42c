// Messages handed to a connection's MessageListener (src/streams/message_hand_over.ts), the
// push form a server route's message hooks are served through: one at a time and in order, the
// next held back by a pending thenable, reading paced by the inbound queue, the listener told
// last that the messages ended, and the Close reply held behind the messages before it
// (rfc6455#section-5.5.1). Over an in-memory byte pair: nothing sleeps.
import { describe, expect, it } from "vitest";
import { Opcode } from "../../src/protocol/opcode.ts";
import type { Message } from "../../src/protocol/message.ts";
import type { CloseEvent } from "../../src/protocol/session_events.ts";
import { Connection } from "../../src/streams/connection.ts";
import type { ConnectionWiring, MessageListener } from "../../src/streams/connection_options.ts";
import { byteStreamPair } from "../../src/testing/byte_stream_pair.ts";
import { FakeClock } from "../../src/testing/fake_clock.ts";
import { frame } from "../_helpers/conformance_peer.ts";
import {
  CLOSE,
  closeCode,
  type MemoryPeer,
  serverWithPeer,
  TEXT,
} from "../_helpers/memory_peer.ts";

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await nextTurn();
  expect(condition()).toBe(true);
}

/** A listener that records what it is told; `onMessage` decides what it returns. */
class RecordingListener implements MessageListener {
  readonly log: string[] = [];
  readonly failures: unknown[] = [];
  ended: CloseEvent | undefined;
  endedCalls = 0;
  onMessage: (message: Message) => unknown = () => undefined;

  messageArrived(message: Message): unknown {
    this.log.push(String(message));
    return this.onMessage(message);
  }

  messageFailed(error: unknown): void {
    this.failures.push(error);
  }

  messagesEnded(event: CloseEvent): void {
    this.endedCalls++;
    this.ended = event;
  }
}

function listened(
  listener: MessageListener,
  options: Omit<ConnectionWiring, "role"> = {},
): { server: Connection; peer: MemoryPeer } {
  return serverWithPeer({ messageListener: listener, ...options });
}

describe("message hand-over", () => {
  it("hands over messages in order, each as it arrives, and what the listener sends goes out", async () => {
    const listener = new RecordingListener();
    const { server, peer } = listened(listener);
    listener.onMessage = (message) => server.send(`echo ${message}`);
    for (let i = 0; i < 5; i++) peer.send(TEXT, `m${i}`);
    for (let i = 0; i < 5; i++) {
      const echoed = await peer.nextFrame();
      expect(new TextDecoder().decode(echoed!.payload)).toBe(`echo m${i}`);
    }
    expect(listener.log).toEqual(["m0", "m1", "m2", "m3", "m4"]);
    server.terminate();
    await until(() => listener.ended !== undefined);
  });

  it("holds bytes that came with the handshake until the microtask after the connection is made", async () => {
    const listener = new RecordingListener();
    const { server } = listened(listener, { head: frame(Opcode.Text, "early", { mask: true }) });
    // Made, and nothing handed over inside the constructor.
    expect(listener.log).toEqual([]);
    await until(() => listener.log.length === 1);
    expect(listener.log).toEqual(["early"]);
    server.terminate();
    await server.closed;
  });

  it("holds the next message back while a promise the listener returned is pending, and stops reading the transport past readHighWaterMark", async () => {
    const [serverEnd, peerEnd] = byteStreamPair();
    const listener = new RecordingListener();
    let release: () => void = () => {};
    listener.onMessage = () => new Promise<void>((resolve) => release = resolve);
    const server = new Connection(serverEnd, {
      role: "server",
      clock: new FakeClock(),
      heartbeatInterval: 0,
      readHighWaterMark: 100,
      messageListener: listener,
    } as ConnectionWiring);
    const writer = peerEnd.writable.getWriter();
    // Each write completes only once the connection's side has read it, as a socket's does.
    let written = 0;
    for (let i = 0; i < 10; i++) {
      void writer.write(frame(Opcode.Text, `${i}`.padEnd(60, "x"), { mask: true })).then(() =>
        written++
      );
    }
    for (let i = 0; i < 20; i++) await nextTurn();
    // The first message is with the listener; two more pass the 100-byte mark and the pump
    // waits: the rest stays unread.
    expect(listener.log.length).toBe(1);
    expect(written).toBeLessThan(5);
    for (let i = 1; i < 10; i++) {
      release();
      await until(() => listener.log.length === i + 1);
    }
    release();
    await until(() => written === 10);
    expect(listener.log.map((message) => message[0])).toEqual(
      ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    );
    server.terminate();
    await server.closed;
  });

  it("rfc6455#section-5.5.1 replies to the peer's Close only once the messages before it are dealt with, then tells the listener, once", async () => {
    const listener = new RecordingListener();
    let release: () => void = () => {};
    listener.onMessage = () => new Promise<void>((resolve) => release = resolve);
    const { peer } = listened(listener);
    peer.send(TEXT, "first");
    peer.send(TEXT, "second");
    peer.sendClose(1000);
    await until(() => listener.log.length === 1);
    let replied = false;
    const replying = peer.nextFrame().then((frame) => {
      replied = true;
      return frame;
    });
    for (let i = 0; i < 10; i++) await nextTurn();
    // "second" waits behind the listener, and the Close reply behind it.
    expect(replied).toBe(false);
    release();
    await until(() => listener.log.length === 2);
    // And until the listener is done with the last one, as until a handler asks for more.
    for (let i = 0; i < 10; i++) await nextTurn();
    expect(replied).toBe(false);
    release();
    const reply = await replying;
    expect(reply?.opcode).toBe(CLOSE);
    expect(closeCode(reply)).toBe(1000);
    peer.closeTransport();
    await until(() => listener.ended !== undefined);
    expect(listener.ended?.code).toBe(1000);
    expect(listener.ended?.wasClean).toBe(true);
    for (let i = 0; i < 5; i++) await nextTurn();
    expect(listener.endedCalls).toBe(1);
  });

  it("hands over what was queued when the connection ended before telling the listener it ended", async () => {
    const listener = new RecordingListener();
    let release: () => void = () => {};
    listener.onMessage = () => new Promise<void>((resolve) => release = resolve);
    const { server, peer } = listened(listener);
    peer.send(TEXT, "a");
    peer.send(TEXT, "b");
    await until(() => listener.log.length === 1);
    server.terminate();
    await server.closed;
    expect(listener.ended).toBe(undefined);
    release();
    await until(() => listener.log.length === 2);
    release();
    await until(() => listener.ended !== undefined);
    expect(listener.log).toEqual(["a", "b"]);
    expect(listener.ended?.code).toBe(1006);
  });

  it("reports a listener that throws or rejects, and goes on with the next message", async () => {
    const listener = new RecordingListener();
    const { server, peer } = listened(listener);
    listener.onMessage = (message) => {
      if (message === "throw") throw new Error("thrown");
      if (message === "reject") return Promise.reject(new Error("rejected"));
      return undefined;
    };
    peer.send(TEXT, "throw");
    peer.send(TEXT, "reject");
    peer.send(TEXT, "fine");
    await until(() => listener.log.length === 3);
    await until(() => listener.failures.length === 2);
    expect(listener.failures.map((error) => (error as Error).message)).toEqual([
      "thrown",
      "rejected",
    ]);
    server.terminate();
    await until(() => listener.ended !== undefined);
  });

  it("refuses for await and readable on a connection whose messages go to a listener", async () => {
    const listener = new RecordingListener();
    const { server } = listened(listener);
    await expect(server[Symbol.asyncIterator]().next()).rejects.toThrow(/message hooks/);
    await expect(server.readable.getReader().read()).rejects.toThrow(/message hooks/);
    server.terminate();
    await server.closed;
  });
});
