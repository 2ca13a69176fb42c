// Topics for the examples: local to this process, or, with REDIS_URL set, shared by every
// process that uses the same Redis. The Redis client is the one a user brings: node-redis
// (`npm install redis`) by default, ioredis (`npm install ioredis`) with REDIS_CLIENT=ioredis.
// Like the examples, it imports only public entry points: "../mod.ts" is "wsflow" and
// "../src/pubsub/redis_fan_out.ts" is "wsflow/redis".
import { Topics } from "../mod.ts";
import { RedisFanOut } from "../src/pubsub/redis_fan_out.ts";
import { env } from "./_runtime.ts";

/**
 * A `Topics`; with REDIS_URL, once the Redis subscriber connection is up and every topic in
 * `hold` is subscribed there (so the caller may print LISTENING).
 */
export async function topicsFromEnv(hold: readonly string[] = []): Promise<Topics> {
  const url = env("REDIS_URL");
  if (url === undefined || url === "") return new Topics();
  // Redis going away is logged once, and its return once: the clients retry every attempt.
  let down = false;
  const onDown = (error: unknown): void => {
    if (down) return;
    down = true;
    console.error(`redis: unreachable (${(error as Error)?.message ?? error}); retrying`);
  };
  const onReady = (): void => {
    if (!down) return;
    down = false;
    console.error("redis: back");
  };
  let client;
  if (env("REDIS_CLIENT") === "ioredis") {
    const { Redis } = await import("ioredis");
    client = new Redis(url, { retryStrategy: (times: number) => Math.min(times * 100, 1_000) });
    client.on("error", onDown);
    client.on("ready", onReady);
  } else {
    const { createClient } = await import("redis");
    const redis = createClient({
      url,
      // Reconnect within a second, whatever happened, so rooms come back well within 10 s.
      socket: { reconnectStrategy: (retries: number) => Math.min(retries * 100, 1_000) },
    });
    redis.on("error", onDown);
    redis.on("ready", onReady);
    await redis.connect();
    client = redis;
  }
  const fanOut = new RedisFanOut({ client });
  const topics = new Topics({
    fanOut,
    onError: (error, { stage, topic }) => {
      if (stage === "connection") onDown(error);
      else console.error(`topics: ${stage}${topic ? ` ${topic}` : ""}: ${error}`);
    },
  });
  await fanOut.ready;
  for (const topic of hold) topics.hold(topic);
  await Promise.all(hold.map((topic) => topics.ready(topic)));
  return topics;
}
