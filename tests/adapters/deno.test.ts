import { describe, it } from "vitest";
import { runAdapterContract, runLifecycleContract, runRouterContract } from "./contract.ts";

if ("Deno" in globalThis) {
  const { serve } = await import("../../src/adapters/deno.ts");
  runAdapterContract("deno", serve);
  runRouterContract("deno", serve);
  runLifecycleContract("deno", serve);
} else {
  describe("adapter contract: deno", () => {
    it.skip("runs under Deno only: each adapter is tested on its own runtime", () => {});
  });
}
