import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDataJsonWriter, readDataset } from "../../src/index.js";
import { DuplicateCounter } from "../../src/dataset/duplicate-counter.js";
import { byteChunks, collect, dataset } from "../helpers/byte-chunks.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "batchkit-io-dups-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("duplicate user ids", () => {
  it("counts repeated ids and looks them up, keeping every row for the consumer", async () => {
    const rows = [["a", 1], ["b", 2], ["a", 3], [7, 4], ["7", 5], [7, 6], ["a", 7], ["é😀", 8], ["\u00e9\ud83d\ude00", 9]];
    const reader = readDataset(byteChunks(dataset(["user_id", "x"], rows), [11]), { features: [{ column: "x" }], batchSize: 4, tmpDir: dir });
    const got = await collect(reader);
    expect(got.userIds).toHaveLength(rows.length);
    const stats = reader.stats();
    expect(stats.duplicateUserIds).toBe(4);
    expect(stats.duplicates.size).toBe(3);
    expect(["a", 7, "é😀"].map((id) => stats.duplicates.has(id))).toEqual([true, true, true]);
    expect(["b", "7", 8, "x"].map((id) => stats.duplicates.has(id))).toEqual([false, false, false, false]);
  });

  it("treats escaped and raw spellings of an id as the same id, and -0 as 0", async () => {
    const text = '{"metadata":{"columns":["user_id"]},"data":[["u\\u0031"],["u1"],["-0"],[-0],[0]]}';
    const reader = readDataset(byteChunks(text), { features: [], tmpDir: dir });
    await collect(reader);
    expect(reader.stats().duplicateUserIds).toBe(2);
    expect(reader.stats().duplicates.has("u1")).toBe(true);
    expect(reader.stats().duplicates.has(0)).toBe(true);
    expect(reader.stats().duplicates.has("-0")).toBe(false);
  });

  it("can be turned off", async () => {
    const reader = readDataset(byteChunks(dataset(["user_id"], [["a"], ["a"]])), { features: [], trackDuplicates: false });
    await collect(reader);
    expect(reader.stats()).toMatchObject({ duplicateUserIds: 0, duplicateMemoryBytes: 0, duplicateDiskBytes: 0 });
  });

  it("spills fingerprints to a temp file past its memory limit, counts exactly, and removes the file", async () => {
    const n = 200_000;
    const rows: unknown[] = [];
    for (let i = 0; i < n; i++) rows.push([i % 1000 === 0 ? `user-${i / 1000}` : `user-${i}`]);
    const reader = readDataset(byteChunks(dataset(["user_id"], rows), [8192]), { features: [], tmpDir: dir, duplicateMemoryBytes: 64 * 1024 });
    let sawFile = false;
    for await (const _ of reader) if (!sawFile) sawFile = (await readdir(dir)).some((f) => f.startsWith(".dataset-ids-"));
    const stats = reader.stats();
    // user-0 .. user-199 are repeated: ids i*1000 reuse the names user-0..user-199, which also occur as themselves.
    expect(stats.duplicateUserIds).toBe(199);
    expect(stats.duplicates.has("user-5")).toBe(true);
    expect(stats.duplicates.has("user-1001")).toBe(false);
    expect(stats.duplicateDiskBytes).toBeGreaterThan(n * 8 * 0.5);
    expect(sawFile).toBe(true);
    expect(await readdir(dir)).toEqual([]);
  });

  it("finds exactly the repeats among 300,000 distinct string and number ids", async () => {
    const counter = new DuplicateCounter(dir, 1 << 20);
    for (let i = 0; i < 300_000; i++) counter.add(`user-${i}`);
    await counter.flush();
    for (let i = 0; i < 300_000; i++) counter.add(i);
    for (let i = 0; i < 300_000; i += 1000) counter.add(`user-${i}`);
    for (let i = 0; i < 300_000; i += 1000) counter.add(i);
    await counter.flush();
    const { count, duplicates } = await counter.finish();
    expect(count).toBe(600);
    expect(duplicates.size).toBe(600);
    expect(counter.usage().peakMemoryBytes).toBeLessThan(8 * 1024 * 1024);
    await counter.dispose();
    expect(await readdir(dir)).toEqual([]);
  });

  it("feeds the writer's dedupe so only each repeated user's last row remains", async () => {
    const rows = [["a", 0.1], ["b", 0.2], ["a", 0.3], ["c", 0.4], ["b", 0.5]];
    const reader = readDataset(byteChunks(dataset(["user_id", "x"], rows)), { features: [{ column: "x" }], tmpDir: dir });
    const path = join(dir, "data.json");
    const writer = await openDataJsonWriter(path, { properties: ["Rating"] });
    for await (const b of reader) writer.writeScores(b.userIds, b.features, b.rows);
    const result = await writer.close({ dedupe: reader.stats().duplicates });
    expect(result).toMatchObject({ rows: 3, duplicatesRemoved: 2 });
    expect((JSON.parse(await readFile(path, "utf8")) as { updates: unknown[] }).updates).toEqual([["a", Math.round(Math.fround(0.3) * 1e6) / 1e6], ["c", 0.4], ["b", 0.5]]);
  });
});
