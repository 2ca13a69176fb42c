import { describe, it } from "vitest";
import { runAdapterContract, runLifecycleContract, runRouterContract } from "./contract.ts";

if ("Bun" in globalThis) {
  const { serve } = await import("../../src/adapters/bun.ts");
  runAdapterContract("bun", serve);
  runRouterContract("bun", serve);
  runLifecycleContract("bun", serve);
} else {
  describe("adapter contract: bun", () => {
    it.skip("runs under Bun only: each adapter is tested on its own runtime", () => {});
  });
}
