// Local delivery on its own: one prepared frame to every subscriber but `except`, counted into
// the result and the registry's totals, and the message to listeners (through the public
// Topics, in topics.test.ts).
import { describe, expect, it } from "vitest";
import type { Message } from "../../src/protocol/message.ts";
import { PreparedFrame } from "../../src/protocol/prepared_frame.ts";
import { connectedPair } from "../../src/testing/connected_pair.ts";
import { deliverLocally } from "../../src/pubsub/topic_delivery.ts";
import { TopicSubscriptions } from "../../src/pubsub/topic_subscriptions.ts";
import type { TopicStats } from "../../src/pubsub/topics_options.ts";

const QUIET = { heartbeatInterval: 0 } as const;

function zeroStats(): TopicStats {
  return { published: 0, queued: 0, dropped: 0, evicted: 0, received: 0, unavailable: 0 };
}

describe("deliverLocally", () => {
  it("queues the frame for every subscriber but `except`, and adds the counts to the totals", async () => {
    const subscriptions = new TopicSubscriptions(undefined, () => {});
    const alice = connectedPair({ server: QUIET, client: QUIET });
    const bob = connectedPair({ server: QUIET, client: QUIET });
    subscriptions.subscribe(alice.server, "room");
    subscriptions.subscribe(bob.server, "room");
    const stats = zeroStats();
    const frame = PreparedFrame.of("hi");
    const result = deliverLocally(
      subscriptions,
      "room",
      frame,
      alice.server,
      "hi",
      stats,
      () => {},
    );
    expect(result).toEqual({
      subscribers: 1,
      queued: 1,
      dropped: 0,
      evicted: 0,
      closed: 0,
      fanOut: "none",
    });
    expect(stats.queued).toBe(1);
    for await (const message of bob.client) {
      expect(message).toBe("hi");
      break;
    }
    await alice.client.close();
    await bob.client.close();
  });

  it("gives listeners the message, read from the frame when none is given; one that throws goes to onError", () => {
    const subscriptions = new TopicSubscriptions(undefined, () => {});
    const heard: Message[] = [];
    const errors: string[] = [];
    subscriptions.listen("t", () => {
      throw new Error("boom");
    });
    subscriptions.listen("t", (message) => heard.push(message));
    const onError = (
      error: unknown,
      { stage, topic }: { stage: string; topic?: string | undefined },
    ): void => {
      errors.push(`${stage} ${topic} ${(error as Error).message}`);
    };
    deliverLocally(
      subscriptions,
      "t",
      PreparedFrame.of("text"),
      undefined,
      undefined,
      zeroStats(),
      onError,
    );
    deliverLocally(
      subscriptions,
      "t",
      PreparedFrame.of(new Uint8Array([1, 2])),
      undefined,
      undefined,
      zeroStats(),
      onError,
    );
    expect(heard[0]).toBe("text");
    expect([...(heard[1] as Uint8Array)]).toEqual([1, 2]);
    expect(errors).toEqual(["listener t boom", "listener t boom"]);
  });
});
