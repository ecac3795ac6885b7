import { describe, expect, it } from "vitest";
import { readDataset } from "../../src/index.js";
import { DuplicateTracker } from "../../src/dataset/duplicate-tracker.js";
import { byteChunks, collect, dataset } from "../helpers/byte-chunks.js";

describe("duplicate user ids", () => {
  it("counts repeated ids and names them, keeping every row for the consumer", async () => {
    const rows = [["a", 1], ["b", 2], ["a", 3], [7, 4], ["7", 5], [7, 6], ["a", 7], ["é😀", 8], ["\u00e9\ud83d\ude00", 9]];
    const reader = readDataset(byteChunks(dataset(["user_id", "x"], rows), [11]), { features: [{ column: "x" }], batchSize: 4 });
    const got = await collect(reader);
    expect(got.userIds).toHaveLength(rows.length);
    const stats = reader.stats();
    expect(stats.duplicateUserIds).toBe(4);
    expect([...stats.duplicates]).toEqual([["a", 2], [7, 1], ["é😀", 1]]);
  });

  it("treats escaped and raw spellings of an id as the same id", async () => {
    const text = '{"metadata":{"columns":["user_id"]},"data":[["u\\u0031"],["u1"],["-0"],[-0],[0]]}';
    const reader = readDataset(byteChunks(text), { features: [] });
    await collect(reader);
    expect([...reader.stats().duplicates]).toEqual([["u1", 1], [0, 1]]);
  });

  it("can be turned off", async () => {
    const reader = readDataset(byteChunks(dataset(["user_id"], [["a"], ["a"]])), { features: [], trackDuplicates: false });
    await collect(reader);
    expect(reader.stats()).toMatchObject({ duplicateUserIds: 0, duplicateTableBytes: 0 });
  });

  it("finds exactly the repeats among 300,000 distinct ids while its table grows", () => {
    const tracker = new DuplicateTracker();
    let dups = 0;
    for (let i = 0; i < 300_000; i++) if (tracker.add(`user-${i}`)) dups++;
    for (let i = 0; i < 300_000; i++) if (tracker.add(i)) dups++;
    expect(dups).toBe(0);
    for (let i = 0; i < 300_000; i += 1000) if (tracker.add(`user-${i}`)) dups++;
    for (let i = 0; i < 300_000; i += 1000) if (tracker.add(i)) dups++;
    expect(dups).toBe(600);
    // 600,000 ids in 6-byte slots at a load of 0.4-0.8.
    expect(tracker.bytes()).toBeLessThan(600_000 * 16);
  });
});
