import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { runBatchStage, splitRanges } from "../src/batch-stage.js";
import { Emulator } from "../src/emulator.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await Emulator.start({ users: 10_007, seed: 2 });
});
afterAll(async () => {
  await emu.stop();
});

describe("splitRanges", () => {
  it.each([1000, 3333, 10_007, 50_000])("partitions every user into ranges of at most maxBatchSize %i", (max) => {
    const slices = splitRanges(emu, max);
    expect(slices.length).toBe(Math.ceil(10_007 / max));
    expect(slices[0]?.start).toBe(0);
    expect(slices[slices.length - 1]?.end).toBe(1);
    let expectedLo = 0;
    for (const s of slices) {
      expect(s.lo).toBe(expectedLo);
      expect(s.hi - s.lo).toBeLessThanOrEqual(max);
      // The server's view of the range is exactly the slice.
      expect(emu.project.lowerBound(s.start)).toBe(s.lo);
      expect(emu.project.lowerBound(s.end)).toBe(s.hi);
      expectedLo = s.hi;
    }
    expect(expectedLo).toBe(10_007);
    for (let i = 1; i < slices.length; i++) expect(slices[i]?.start).toBe(slices[i - 1]?.end);
  });
});

describe("runBatchStage", () => {
  it("stops its plugin processes when the signal aborts, and reports the batch as failed", async () => {
    await emu.datasets.file(emu.datasets.register("latest", { type: "latest", seconds: 0 }));
    const result = await runBatchStage(emu, {
      plugin: [process.execPath, "-e", "setTimeout(() => {}, 1e9)"],
      runId: "abort",
      runDir: join(emu.workDir, "runs", "abort"),
      maxBatchSize: 20_000,
      concurrency: 1,
      options: {},
      datasets: [],
      downloadStages: [],
      store: null,
      scores: new Float64Array(emu.project.users),
      signal: AbortSignal.timeout(1000),
    });
    // (Without the abort this never returns: the plugin sleeps for 11 days.)
    expect(result.usersScored).toBe(0);
    // On a busy machine the signal may fire before the process starts; either way the stage says so.
    if (result.batches.length === 1) {
      expect(result.batches[0]?.exitCode).toBeNull();
      expect(result.error?.code).toBe("EMULATOR_PLUGIN_NO_RESULTS");
      expect(result.error?.message).toContain("exit code SIGTERM");
    } else {
      expect(result.error?.message).toBe("the batch stage was stopped with 1 of 1 batches not run");
    }
  });
});
