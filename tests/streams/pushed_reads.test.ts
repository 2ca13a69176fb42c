// PushedReads (src/streams/pushed_reads.ts): the read side the Node and Bun adapters' socket
// channels share. What a pushing socket delivers is read in order, the socket is paused at the
// high-water mark and resumed below it, an end lets queued bytes be read first, a failure drops
// them, as a readable with that high-water mark would behave.
import { describe, expect, it } from "vitest";
import { PushedReads, type ReadFlow } from "../../src/streams/pushed_reads.ts";
import type { ReadSink } from "../../src/streams/socket_channel.ts";

class FakeFlow implements ReadFlow {
  paused = false;
  pauses = 0;
  resumes = 0;
  pause(): void {
    this.paused = true;
    this.pauses++;
  }
  resume(): void {
    this.paused = false;
    this.resumes++;
  }
  isPaused(): boolean {
    return this.paused;
  }
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** Records what it is handed; takes no more once `room` chunks were taken, until reset. */
class Sink implements ReadSink {
  got: number[][] = [];
  ends = 0;
  room = Infinity;
  onPushed: ((chunk: Uint8Array) => void) | undefined;
  pushed(chunk: Uint8Array): boolean {
    this.got.push([...chunk]);
    this.onPushed?.(chunk);
    return --this.room > 0;
  }
  ended(): void {
    this.ends++;
  }
}

describe("PushedReads", () => {
  it("hands a chunk to the waiting read, or queues it for the next", async () => {
    const reads = new PushedReads(new FakeFlow(), 100);
    const waiting = reads.read();
    reads.push(bytes(1));
    reads.push(bytes(2));
    expect((await waiting).value).toEqual(bytes(1));
    expect((await reads.read()).value).toEqual(bytes(2));
  });

  it("pauses the socket once the queue holds the high-water mark, and resumes it below", async () => {
    const flow = new FakeFlow();
    const reads = new PushedReads(flow, 4);
    reads.push(bytes(1, 2));
    expect(flow.paused).toBe(false);
    reads.push(bytes(3, 4));
    reads.push(bytes(5));
    expect([flow.paused, flow.pauses]).toEqual([true, 1]);
    await reads.read(); // 3 bytes left: below the mark
    expect([flow.paused, flow.resumes]).toEqual([false, 1]);
  });

  it("resumes a paused socket when a read finds nothing queued", async () => {
    const flow = new FakeFlow();
    flow.paused = true;
    const reads = new PushedReads(flow, 4);
    const waiting = reads.read();
    expect(flow.paused).toBe(false);
    reads.push(bytes(9));
    expect((await waiting).value).toEqual(bytes(9));
  });

  it("after the peer's end, reads what was queued, then is done; later bytes are dropped", async () => {
    const reads = new PushedReads(new FakeFlow(), 100);
    reads.push(bytes(1));
    reads.pushEnd();
    reads.push(bytes(2));
    expect(reads.readsEnded).toBe(true);
    expect((await reads.read()).value).toEqual(bytes(1));
    expect((await reads.read()).done).toBe(true);
    expect((await reads.read()).done).toBe(true);
  });

  it("a failure drops what was queued and rejects the waiting read and every later one", async () => {
    const reads = new PushedReads(new FakeFlow(), 100);
    const waiting = reads.read();
    const error = new Error("reset");
    reads.fail(error);
    await expect(waiting).rejects.toBe(error);
    const other = new PushedReads(new FakeFlow(), 100);
    other.push(bytes(1));
    other.fail(error);
    await expect(other.read()).rejects.toBe(error);
  });

  it("cancel ends the waiting read and says whether reading had already come to its end", async () => {
    const reads = new PushedReads(new FakeFlow(), 100);
    const waiting = reads.read();
    expect(reads.cancelReads()).toBe(false);
    expect((await waiting).done).toBe(true);
    const drained = new PushedReads(new FakeFlow(), 100);
    drained.push(bytes(1));
    drained.pushEnd();
    expect(drained.cancelReads()).toBe(false); // a byte was still queued
    const done = new PushedReads(new FakeFlow(), 100);
    done.pushEnd();
    expect(done.cancelReads()).toBe(true);
  });

  it("a listening sink gets what was queued, then each chunk as it arrives, then the end", () => {
    const reads = new PushedReads(new FakeFlow(), 100);
    reads.push(bytes(1));
    const sink = new Sink();
    reads.listen(sink);
    expect(sink.got).toEqual([[1]]);
    reads.push(bytes(2));
    reads.push(bytes(3));
    expect(sink.got).toEqual([[1], [2], [3]]);
    expect(sink.ends).toBe(0);
    reads.pushEnd();
    reads.push(bytes(4));
    expect([sink.got.length, sink.ends]).toEqual([3, 1]);
  });

  it("a sink that takes no more gets nothing until it listens again; the socket pauses at the mark meanwhile", () => {
    const flow = new FakeFlow();
    const reads = new PushedReads(flow, 4);
    const sink = new Sink();
    sink.room = 1;
    reads.listen(sink);
    reads.push(bytes(1));
    reads.push(bytes(2, 3));
    reads.push(bytes(4, 5));
    expect(sink.got).toEqual([[1]]);
    expect(flow.paused).toBe(true);
    reads.pushEnd(); // waits behind the queue
    expect(sink.ends).toBe(0);
    sink.room = Infinity;
    reads.listen(sink);
    expect(sink.got).toEqual([[1], [2, 3], [4, 5]]);
    expect(sink.ends).toBe(1);
  });

  it("listening again resumes a paused socket once the queue is below the mark", () => {
    const flow = new FakeFlow();
    const reads = new PushedReads(flow, 2);
    const sink = new Sink();
    sink.room = 1;
    reads.listen(sink);
    reads.push(bytes(1));
    reads.push(bytes(2, 3));
    expect(flow.paused).toBe(true);
    sink.room = Infinity;
    reads.listen(sink);
    expect([flow.paused, flow.resumes]).toEqual([false, 1]);
    reads.push(bytes(4));
    expect(sink.got).toEqual([[1], [2, 3], [4]]);
  });

  it("what arrives while a chunk is handed over (the sink's own doing) follows it, in order", () => {
    const reads = new PushedReads(new FakeFlow(), 100);
    const sink = new Sink();
    sink.onPushed = (chunk) => {
      if (chunk[0] === 1) {
        reads.push(bytes(2));
        reads.pushEnd();
        expect(sink.ends).toBe(0);
      }
    };
    reads.listen(sink);
    reads.push(bytes(1));
    expect(sink.got).toEqual([[1], [2]]);
    expect(sink.ends).toBe(1);
  });

  it("a failure drops what a waiting sink had not taken and ends it; a cancel ends a listening one", () => {
    const reads = new PushedReads(new FakeFlow(), 100);
    const sink = new Sink();
    sink.room = 1;
    reads.listen(sink);
    reads.push(bytes(1));
    reads.push(bytes(2));
    reads.fail(new Error("reset"));
    reads.listen(sink);
    expect(sink.got).toEqual([[1]]);
    expect(sink.ends).toBe(1);
    const other = new PushedReads(new FakeFlow(), 100);
    const listening = new Sink();
    other.listen(listening);
    expect(other.cancelReads()).toBe(false);
    expect(listening.ends).toBe(1);
  });
});
