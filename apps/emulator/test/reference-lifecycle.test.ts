import { describe, expect, it } from "vitest";
import { runLifecycle } from "../src/run-loop.js";
import { referencePlugin } from "./helpers/plugins.js";

// The reference plugin (from its sources) through the whole lifecycle.
describe("the reference plugin", () => {
  it("runs the reference plugin end to end", { timeout: 180_000 }, async () => {
    // Fewer batches than the tiny plugin's 20-batch run: each reference process loads onnxruntime, which takes a while.
    const result = await runLifecycle({ plugin: referencePlugin, users: 8000, seed: 42, maxBatchSize: 2000, concurrency: 2 });
    expect(result.error?.message ?? null).toBeNull();
    expect(result.batches).toHaveLength(4);
    expect(result.summary?.exactlyOnce).toBe(true);
    expect(result.summary?.usersScored).toBe(8000);
    expect(result.summary?.auc).toBeGreaterThan(0.75);
  });
});
