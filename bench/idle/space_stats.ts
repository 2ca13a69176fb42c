/**
 * Preloaded into a Node server by `bench/idle/spaces.ts` (`node --expose-gc --import tsx
 * --import bench/idle/space_stats.ts <server>`): on SIGUSR2 it prints one line to stderr,
 * `SPACES <json>`, with the process's RSS and, for each V8 heap space, its physical size and the
 * bytes in use, read once as they are and once more after a full collection.
 *
 * @module
 */
import process from "node:process";
import { getHeapSpaceStatistics } from "node:v8";

/** Each space's physical size and bytes used, and the RSS under `rss`. */
type Spaces = Record<string, { physical: number; used: number }>;

function read(): Spaces {
  const spaces: Spaces = { rss: { physical: process.memoryUsage().rss, used: 0 } };
  for (const space of getHeapSpaceStatistics()) {
    spaces[space.space_name] = { physical: space.physical_space_size, used: space.space_used_size };
  }
  return spaces;
}

process.on("SIGUSR2", () => {
  const before = read();
  (globalThis as { gc?: () => void }).gc?.();
  const after = read();
  process.stderr.write(`SPACES ${JSON.stringify({ before, after })}\n`);
});
