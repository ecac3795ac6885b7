import { describe, expect, it } from "vitest";
import { runLifecycle, type LifecycleOptions } from "../src/run-loop.js";
import { PropertyStore } from "../src/store.js";
import { tinyPlugin } from "./helpers/plugins.js";
import { tempDir } from "./helpers/tmp.js";

function small(extra: Partial<LifecycleOptions> = {}): LifecycleOptions {
  return { plugin: tinyPlugin, users: 1000, seed: 5, concurrency: 2, env: { TINY_MAX_BATCH_SIZE: "1000" }, ...extra };
}

describe("the full lifecycle", () => {
  // Generous timeouts: ~22 plugin processes on a shared 2-core machine.
  it("scores 20,000 users in 20 batches, each exactly once, with an AUC above 0.75", { timeout: 180_000 }, async () => {
    const tmp = tempDir("life");
    try {
      const result = await runLifecycle({ plugin: tinyPlugin, users: 20_000, seed: 42, maxBatchSize: 1000, concurrency: 2, workDir: tmp.dir });
      expect(result.error).toBeNull();
      expect(result.ok).toBe(true);
      expect(result.stages.map((s) => s.stage)).toEqual(["initial", "trainMore"]);
      expect(result.batchesRequest).toEqual({ maxBatchSize: 10000, options: { model: "model.json", note: "from trainMore" } });
      expect(result.batches).toHaveLength(20);
      expect(result.batches.reduce((s, b) => s + b.users, 0)).toBe(20_000);
      expect(result.batches.every((b) => b.status?.code === "success")).toBe(true);
      const summary = result.summary;
      expect(summary?.usersScored).toBe(20_000);
      expect(summary?.exactlyOnce).toBe(true);
      expect(summary?.scoreProperty).toBe("Rating");
      expect(summary?.category).toBe("Predictions");
      expect(summary?.auc).toBeGreaterThan(0.75);
      expect(summary?.distribution.count).toBe(20_000);
      // The store can be queried afterwards.
      const store = new PropertyStore(result.storePath as string);
      expect(store.counts(result.runId, "Rating")).toEqual({ rows: 20_000, distinctUsers: 20_000 });
      const runs = store.query<{ status: string }>("SELECT status FROM runs WHERE run_id = ?", result.runId);
      expect(runs).toEqual([{ status: "success" }]);
      store.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe("a run that goes wrong says where", { timeout: 60_000 }, () => {
  it("fails when a batch is not a success, naming the range and the status", async () => {
    const result = await runLifecycle(small({ env: { TINY_MAX_BATCH_SIZE: "1000", TINY_FAIL_STAGE: "batch" } }));
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe("EMULATOR_BATCH_FAILED");
    expect(result.error?.message).toMatch(/^batch \d \[range_start_gt_or_eq=[\d.e-]+, range_end_lt=[\d.e-]+\) failed: status error: Told to fail \(TINY_FAIL_STAGE=batch\)/);
    expect(result.error?.title).toBe("Told to fail");
    expect(result.summary).toBeNull();
  });

  it("never repeats a signed query string the plugin put in its status", async () => {
    const result = await runLifecycle(small({ env: { TINY_FAIL_STAGE: "initial", TINY_LEAK_URL: "1" } }));
    expect(result.error?.message).toContain("while uploading to http://127.0.0.1:");
    expect(result.error?.message).toContain("/data.json?…");
    expect(result.error?.message).not.toContain("X-Amz-Signature");
    expect(result.error?.message).not.toContain("deadbeef");
  });

  it("fails when the initial stage fails", async () => {
    const result = await runLifecycle(small({ env: { TINY_FAIL_STAGE: "initial" } }));
    expect(result.error?.code).toBe("EMULATOR_PLUGIN_FAILED");
    expect(result.error?.message).toContain("stage initial failed: status error: Told to fail");
    expect(result.stages).toHaveLength(1);
  });

  it("fails when a batch leaves a user out, naming the user", async () => {
    const result = await runLifecycle(small({ env: { TINY_MAX_BATCH_SIZE: "1000", TINY_DROP_USER: "1" } }));
    expect(result.error?.code).toBe("EMULATOR_USER_MISSING");
    expect(result.error?.message).toMatch(/^batch \d \[range_start_gt_or_eq=.*\): 1 of 1000 users were not scored, the first is "u[0-9a-f]{8}"/);
  });

  it("fails when a batch scores a user that is not in its slice", async () => {
    const result = await runLifecycle(small({ env: { TINY_MAX_BATCH_SIZE: "1000", TINY_STRANGER: "1" } }));
    expect(result.error?.code).toBe("EMULATOR_USER_NOT_IN_SLICE");
    expect(result.error?.message).toContain('user "u00000000x" is not a user of this slice');
  });

  it("fails when a successful batch uploaded no data.json", async () => {
    const result = await runLifecycle(small({ env: { TINY_MAX_BATCH_SIZE: "1000", TINY_NO_UPLOAD: "1" } }));
    expect(result.error?.code).toBe("EMULATOR_DATA_JSON_MISSING");
    expect(result.error?.message).toContain("the batch succeeded but uploaded no data.json");
  });

  it("fails when the plugin writes no results.json, with its exit code and stderr", async () => {
    const result = await runLifecycle(small({ plugin: [process.execPath, "-e", "console.error('boom at start'); process.exit(3)"] }));
    expect(result.error?.code).toBe("EMULATOR_PLUGIN_NO_RESULTS");
    expect(result.error?.message).toContain("the plugin wrote no results.json; exit code 3");
    expect(result.error?.message).toContain("boom at start");
  });

  it("refuses bad options before starting anything", async () => {
    await expect(runLifecycle(small({ maxBatchSize: 0 }))).rejects.toThrow(/maxBatchSize must be a whole number/);
    await expect(runLifecycle(small({ concurrency: 0 }))).rejects.toThrow(/concurrency must be/);
  });
});
