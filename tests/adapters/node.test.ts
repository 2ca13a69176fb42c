import { describe, it } from "vitest";
import { runAdapterContract, runLifecycleContract, runRouterContract } from "./contract.ts";

const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);

if (isNode) {
  const { serve } = await import("../../src/adapters/node.ts");
  runAdapterContract("node", serve);
  runRouterContract("node", serve);
  runLifecycleContract("node", serve);
} else {
  describe("adapter contract: node", () => {
    it.skip("runs under Node only: each adapter is tested on its own runtime", () => {});
  });
}
