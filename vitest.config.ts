import { defineConfig } from "vitest/config";
import type { ViteUserConfig } from "vitest/config";

const config: ViteUserConfig = defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    server: {
      deps: {
        // graphql ships CommonJS (main) and ESM (module) files without an exports map: Vite
        // resolves a test's `import "graphql"` to the ESM one and Node resolves graphql-ws's to
        // the CommonJS one, and graphql refuses a schema from the other copy. Letting Vite load
        // graphql-ws too gives both the same copy, as Node, Bun and Deno do on their own.
        inline: ["graphql-ws"],
      },
    },
  },
});

export default config;
