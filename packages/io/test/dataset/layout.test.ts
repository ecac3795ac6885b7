import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readDataset } from "../../src/index.js";
import { byteChunks, collect, dataset, errorOf } from "../helpers/byte-chunks.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "batchkit-io-layout-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rows = (n: number) => Array.from({ length: n }, (_, i) => [`u${i}`, i, i % 2 === 0, "x".repeat(i % 13)]);
const COLUMNS = ["user_id", "a", "b", "pad"];

describe("readDataset layout", () => {
  it("reads metadata after data from memory", async () => {
    const reader = readDataset(byteChunks(dataset(COLUMNS, rows(50), "data-first"), [17]), { features: [{ column: "b" }, { column: "a" }], tmpDir: dir, batchSize: 16 });
    const got = await collect(reader);
    expect(got.userIds).toEqual(rows(50).map((r) => r[0]));
    expect(got.features[3]).toEqual([0, 3]);
    expect(got.batches.map((b) => b.firstRow)).toEqual([0, 16, 32, 48]);
    expect(reader.stats()).toMatchObject({ rows: 50, spooled: true, complete: true });
  });

  it("spools a big data array to a temp file under tmpDir, decodes it after metadata, and removes the file", async () => {
    const n = 20_000;
    const text = dataset(COLUMNS, rows(n), "data-first");
    const reader = readDataset(byteChunks(text, [4093]), { features: [{ column: "a" }], tmpDir: dir, spoolMemoryBytes: 1024 });
    let count = 0;
    let sum = 0;
    let sawSpoolFile = false;
    for await (const b of reader) {
      if (!sawSpoolFile) sawSpoolFile = (await readdir(dir)).some((f) => f.startsWith(".dataset-spool-"));
      for (let r = 0; r < b.rows; r++) sum += b.features[r]!;
      count += b.rows;
    }
    expect(count).toBe(n);
    expect(sum).toBe((n * (n - 1)) / 2);
    expect(sawSpoolFile).toBe(true);
    expect(await readdir(dir)).toEqual([]);
    expect(reader.stats().bytes).toBe(Buffer.byteLength(text));
  });

  it("names the original byte offset of an error inside a spooled data array", async () => {
    const text = dataset(COLUMNS, rows(5), "data-first").replace('["u3",3', '["u3",3x');
    const err = await errorOf(() => collect(readDataset(byteChunks(text, [9]), { features: [{ column: "a" }], tmpDir: dir, spoolMemoryBytes: 16 })));
    expect(err).toMatchObject({ code: "DATASET_JSON_MALFORMED", byteOffset: text.indexOf("x,"), row: 3 });
    expect(await readdir(dir)).toEqual([]);
  });

  it("reports a truncated spooled data array as truncated", async () => {
    const text = dataset(COLUMNS, rows(5), "data-first");
    const err = await errorOf(() => collect(readDataset(byteChunks(text.slice(0, 60)), { features: [{ column: "a" }], tmpDir: dir })));
    expect(err.code).toBe("DATASET_TRUNCATED");
  });

  it("tolerates a source that reuses one buffer for every chunk", async () => {
    const text = Buffer.from(dataset(COLUMNS, rows(300), "data-first"));
    async function* reused(size: number): AsyncGenerator<Uint8Array> {
      const buf = new Uint8Array(size);
      for (let i = 0; i < text.length; i += size) {
        const n = text.copy(buf, 0, i, i + size);
        yield buf.subarray(0, n);
        buf.fill(0x78);
      }
    }
    for (const size of [1, 7, 100]) {
      const got = await collect(readDataset(reused(size), { features: [{ column: "a" }], extraColumns: ["pad"], tmpDir: dir, spoolMemoryBytes: 256 }));
      expect(got.userIds).toEqual(rows(300).map((r) => r[0]));
      expect(got.extras.pad).toEqual(rows(300).map((r) => r[3]));
    }
  });

  it("copes with chunks that split every token, including multi-byte characters", async () => {
    const text = dataset(["user_id", "a"], [["日本😀", 1.25], ["é\"\\", -2e-3]]);
    for (const size of [1, 2, 3, 5]) {
      const got = await collect(readDataset(byteChunks(text, [size]), { features: [{ column: "a" }] }));
      expect(got.userIds).toEqual(["日本😀", 'é"\\']);
      expect(got.features).toEqual([[1.25], [Math.fround(-2e-3)]]);
    }
  });
});
