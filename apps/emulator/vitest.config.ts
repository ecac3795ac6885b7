import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript source (the "@batchkit/source" export condition),
// so tests run on a fresh clone before any build.
export default defineConfig({
  resolve: { conditions: ["@batchkit/source", "module", "node", "import", "default"] },
  ssr: { resolve: { conditions: ["@batchkit/source", "module", "node", "import", "default"] } },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
