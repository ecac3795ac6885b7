import { describe, expect, it } from "vitest";
import { runLifecycle } from "../src/run-loop.js";
import { referencePluginBuilt, referencePluginMain } from "./helpers/plugins.js";

// The reference plugin's built dist/main.js through the whole lifecycle (skipped until it is built:
// pnpm turbo run build --filter @batchkit/conversion-prediction...).
describe("the reference plugin", () => {
  it.skipIf(!referencePluginBuilt)("runs the reference plugin end to end", { timeout: 180_000 }, async () => {
    // Fewer batches than the tiny plugin's 20-batch run: each reference process loads onnxruntime, which takes a while.
    const result = await runLifecycle({ plugin: [process.execPath, referencePluginMain], users: 8000, seed: 42, maxBatchSize: 2000, concurrency: 2 });
    expect(result.error?.message ?? null).toBeNull();
    expect(result.batches).toHaveLength(4);
    expect(result.summary?.exactlyOnce).toBe(true);
    expect(result.summary?.usersScored).toBe(8000);
    expect(result.summary?.auc).toBeGreaterThan(0.75);
  });
});
