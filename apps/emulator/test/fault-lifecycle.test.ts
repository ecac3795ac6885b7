import { describe, expect, it } from "vitest";
import { Emulator } from "../src/emulator.js";
import type { FaultCounts, FaultOptions } from "../src/faults.js";
import { runLifecycle } from "../src/run-loop.js";
import { tinyPlugin } from "./helpers/plugins.js";

// Small projects (2 batches of 1000): the point is the outcome under each fault, not the volume.
async function run(faults: FaultOptions, env: Record<string, string> = {}) {
  return runLifecycle({ plugin: tinyPlugin, users: 2000, seed: 8, concurrency: 2, faults: { seed: 5, ...faults }, env: { TINY_MAX_BATCH_SIZE: "1000", ...env } });
}

const cases: [string, FaultOptions, keyof FaultCounts][] = [
  ["5xx responses", { rate5xx: 0.2 }, "status5xx"],
  ["429 responses with Retry-After", { rate429: 0.2, retryAfterSeconds: 0 }, "status429"],
  ["connection resets midway through bodies", { resetRate: 0.3 }, "resets"],
  ["slow bodies", { slowMs: 40 }, "slowBodies"],
  ["expired signed URLs", { expiredUrls: true }, "expiredUrls"],
  ["duplicate rows", { duplicateRows: 0.02 }, "duplicateRows"],
];

describe("with faults on, a plugin that retries still scores every user exactly once", { timeout: 90_000 }, () => {
  it.each(cases)("%s", async (_name, faults, counter) => {
    const emulator = await Emulator.start({ users: 2000, seed: 8, faults: { seed: 5, ...faults } });
    try {
      const result = await runLifecycle({ plugin: tinyPlugin, emulator, concurrency: 2, env: { TINY_MAX_BATCH_SIZE: "1000" } });
      expect(result.error?.message ?? null).toBeNull();
      expect(result.summary?.exactlyOnce).toBe(true);
      expect(result.summary?.usersScored).toBe(2000);
      expect(result.summary?.faults).toBe(emulator.faults.describe());
      expect(result.summary?.auc).toBeGreaterThan(0.7);
      // The fault really fired during the run.
      expect(emulator.faults.counts[counter]).toBeGreaterThan(0);
    } finally {
      await emulator.stop();
    }
  });
});

describe("with faults on, a plugin that does not cope fails with a status that names the cause", { timeout: 60_000 }, () => {
  it("duplicates kept in data.json are caught, naming the user", async () => {
    const result = await run({ duplicateRows: 0.02 }, { TINY_NO_DEDUPE: "1" });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe("EMULATOR_USER_DUPLICATE");
    expect(result.error?.message).toMatch(/user "u[0-9a-f]{8}" appears more than once/);
  });

  it("503s without retries fail the stage with the plugin's status", async () => {
    const result = await run({ rate5xx: 1 }, { TINY_NO_RETRY: "1" });
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe("EMULATOR_PLUGIN_FAILED");
    expect(result.error?.message).toContain("stage initial failed: status error: Tiny plugin failed");
    expect(result.error?.message).toContain("503");
  });

  it("resets without retries fail too, never a silently short run", async () => {
    const result = await run({ resetRate: 1 }, { TINY_NO_RETRY: "1" });
    expect(result.ok).toBe(false);
    expect(result.error?.message).toMatch(/failed after 1 attempts/);
  });
});
