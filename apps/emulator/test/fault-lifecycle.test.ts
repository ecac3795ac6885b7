import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBatchStage } from "../src/batch-stage.js";
import { FEATURES } from "../src/demo-schema.js";
import { Emulator } from "../src/emulator.js";
import type { FaultCounts, FaultOptions } from "../src/faults.js";
import { runLifecycle } from "../src/run-loop.js";
import { tinyPlugin } from "./helpers/plugins.js";

// Each fault alone through the batch stage (2 batches of 1000 users: dataset GETs, the model download, upload
// URLs and data.json PUTs), and all of them at once through the whole lifecycle.
const cases: [string, FaultOptions, keyof FaultCounts][] = [
  ["5xx responses", { rate5xx: 0.2 }, "status5xx"],
  ["429 responses with Retry-After", { rate429: 0.2, retryAfterSeconds: 0 }, "status429"],
  ["connection resets midway through bodies", { resetRate: 0.3 }, "resets"],
  ["slow bodies", { slowMs: 40 }, "slowBodies"],
  ["expired signed URLs", { expiredUrls: true }, "expiredUrls"],
  ["duplicate rows", { duplicateRows: 0.02 }, "duplicateRows"],
];

/** A model for the tiny plugin as its trainMore would upload it: a planted weight on did_signup. */
function seedModel(emulator: Emulator): void {
  const width = FEATURES.filter((f) => f.type !== "categorical").length;
  const w = new Array<number>(width).fill(0);
  w[0] = 1.3;
  const file = emulator.storedFile("trainMore", "model.json");
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ w, b: -1, mean: new Array(width).fill(0), sd: new Array(width).fill(1), categories: {} }));
}

async function batchStage(faults: FaultOptions, env: Record<string, string> = {}) {
  const emulator = await Emulator.start({ users: 2000, seed: 8, faults: { seed: 5, ...faults } });
  seedModel(emulator);
  const scores = new Float64Array(2000).fill(Number.NaN);
  try {
    const result = await runBatchStage(emulator, {
      plugin: tinyPlugin,
      runId: "faults",
      runDir: join(emulator.workDir, "runs", "faults"),
      maxBatchSize: 1000,
      concurrency: 2,
      options: { model: "model.json", note: "from trainMore" },
      datasets: [],
      downloadStages: ["trainMore"],
      store: null,
      scores,
      env,
    });
    return { result, counts: { ...emulator.faults.counts }, scores };
  } finally {
    await emulator.stop();
  }
}

describe("with faults on, a plugin that retries still scores every user exactly once", { timeout: 90_000 }, () => {
  it.each(cases)("%s", async (_name, faults, counter) => {
    const { result, counts, scores } = await batchStage(faults);
    expect(result.error?.message ?? null).toBeNull();
    expect(result.usersScored).toBe(2000);
    expect(result.batches.map((b) => b.status?.code)).toEqual(["success", "success"]);
    expect(scores.every((s) => s > 0 && s < 1)).toBe(true);
    // The fault really fired during the run.
    expect(counts[counter]).toBeGreaterThan(0);
  });

  it("all faults at once, through the whole lifecycle", async () => {
    const faults: FaultOptions = { rate5xx: 0.1, rate429: 0.1, retryAfterSeconds: 0, resetRate: 0.1, slowMs: 20, expiredUrls: true, duplicateRows: 0.01, seed: 3 };
    const emulator = await Emulator.start({ users: 2000, seed: 8, faults });
    try {
      const result = await runLifecycle({ plugin: tinyPlugin, emulator, concurrency: 2, env: { TINY_MAX_BATCH_SIZE: "1000" } });
      expect(result.error?.message ?? null).toBeNull();
      expect(result.summary?.exactlyOnce).toBe(true);
      expect(result.summary?.usersScored).toBe(2000);
      expect(result.summary?.faults).toBe(emulator.faults.describe());
      expect(result.summary?.auc).toBeGreaterThan(0.7);
      const c = emulator.faults.counts;
      expect(c.status5xx + c.status429 + c.resets + c.expiredUrls + c.duplicateRows).toBeGreaterThan(0);
    } finally {
      await emulator.stop();
    }
  });
});

describe("with faults on, a plugin that does not cope fails with a status that names the cause", { timeout: 60_000 }, () => {
  it("duplicates kept in data.json are caught, naming the user", async () => {
    const { result } = await batchStage({ duplicateRows: 0.02 }, { TINY_NO_DEDUPE: "1" });
    expect(result.error?.code).toBe("EMULATOR_USER_DUPLICATE");
    expect(result.error?.message).toMatch(/user "u[0-9a-f]{8}" appears more than once/);
  });

  it("503s without retries fail the stage with the plugin's status", async () => {
    const result = await runLifecycle({ plugin: tinyPlugin, users: 1000, faults: { rate5xx: 1 }, env: { TINY_NO_RETRY: "1" } });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe("EMULATOR_PLUGIN_FAILED");
    expect(result.error?.message).toContain("stage initial failed: status error: Tiny plugin failed");
    expect(result.error?.message).toContain("503");
  });

  it("resets without retries fail too, never a silently short run", async () => {
    const { result } = await batchStage({ resetRate: 1 }, { TINY_NO_RETRY: "1" });
    expect(result.error?.code).toBe("EMULATOR_BATCH_FAILED");
    expect(result.error?.message).toMatch(/failed after 1 attempts/);
    expect(result.usersScored).toBe(0);
  });
});
