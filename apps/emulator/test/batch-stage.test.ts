import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { splitRanges } from "../src/batch-stage.js";
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
