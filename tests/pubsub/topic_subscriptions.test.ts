// Topics' bookkeeping on its own: who is on which topic, leaving on close, and the fan-out's
// 0→1 subscribe and 1→0 unsubscribe across connections, listeners and holds (through the
// public Topics, in topics.test.ts).
import { describe, expect, it } from "vitest";
import { connectedPair } from "../../src/testing/connected_pair.ts";
import type { FanOut } from "../../src/pubsub/fan_out.ts";
import { TopicSubscriptions } from "../../src/pubsub/topic_subscriptions.ts";

const QUIET = { heartbeatInterval: 0 } as const;

function recordingFanOut(calls: string[]): FanOut {
  return {
    open() {},
    subscribe: (topic) => {
      calls.push(`+${topic}`);
      return Promise.resolve();
    },
    unsubscribe: (topic) => void calls.push(`-${topic}`),
    publish: () => true,
    close: () => Promise.resolve(),
  };
}

describe("TopicSubscriptions", () => {
  it("keeps connections and topics both ways, and leaves every topic when the connection closes", async () => {
    const subscriptions = new TopicSubscriptions(undefined, () => {});
    const { server, client } = connectedPair({ server: QUIET, client: QUIET });
    expect(subscriptions.subscribe(server, "a")).toBe(true);
    expect(subscriptions.subscribe(server, "b")).toBe(true);
    expect([...subscriptions.subscribersOf("a")!]).toEqual([server]);
    expect(subscriptions.topicsOf(server)).toEqual(["a", "b"]);
    await client.close();
    await server.closed;
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(subscriptions.subscribersOf("a")).toBeUndefined();
    expect(subscriptions.topicsOf(server)).toEqual([]);
    expect(subscriptions.subscribe(server, "a")).toBe(false);
  });

  it("subscribes at the fan-out once anything is on a topic, and unsubscribes once nothing is", async () => {
    const calls: string[] = [];
    const subscriptions = new TopicSubscriptions(recordingFanOut(calls), () => {});
    const { server, client } = connectedPair({ server: QUIET, client: QUIET });
    const release = subscriptions.hold("t");
    subscriptions.subscribe(server, "t");
    const stop = subscriptions.listen("t", () => {});
    expect(calls).toEqual(["+t"]);
    release();
    subscriptions.unsubscribe(server, "t");
    expect(calls).toEqual(["+t"]);
    stop();
    expect(calls).toEqual(["+t", "-t"]);
    await client.close();
  });

  it("reports the fan-out's subscribe and unsubscribe failures to onError, with the topic", async () => {
    const errors: string[] = [];
    const failing: FanOut = {
      open() {},
      subscribe: () => Promise.reject(new Error("down")),
      unsubscribe: () => {
        throw new Error("gone");
      },
      publish: () => false,
      close: () => Promise.resolve(),
    };
    const subscriptions = new TopicSubscriptions(failing, (error, { stage, topic }) => {
      errors.push(`${stage} ${topic} ${(error as Error).message}`);
    });
    const release = subscriptions.hold("t");
    await subscriptions.ready("t");
    release();
    expect(errors).toEqual(["subscribe t down", "unsubscribe t gone"]);
  });
});
