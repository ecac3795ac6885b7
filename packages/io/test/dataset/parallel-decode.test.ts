import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Worker } from "node:worker_threads";
import { DecodePool, lastRowStart, Segmenter, WarmWorkers } from "../../src/dataset/decode-pool.js";
import { readDataset, type DatasetStats, type FeatureSpec, type ReadDatasetOptions } from "../../src/index.js";
import { byteChunks, collect, dataset, errorOf, type Collected } from "../helpers/byte-chunks.js";
import { serveBytes } from "../helpers/http-serve-bytes.js";
import { startServer } from "../helpers/http-server.js";

// The parallel decoder cuts the data array at guessed row starts; these rows put the patterns it looks for
// ("],[", "},{", with whitespace) inside strings, so many guesses are wrong and must be caught.
const columns = ["user_id", "note", "a", "b", "c", "y_value", "random"];
const tricky = ['],[', '], [', '"],["x"', '},{', ']\n,\n[', "é ],[ 𝄞", '\\"],[\\"'];
function makeRows(n: number, seed: number): unknown[][] {
  let s = seed >>> 0;
  const rand = (): number => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
  return Array.from({ length: n }, (_, i) => [
    i % 7 === 0 ? i : i % 50 === 3 ? `dup-${i % 20}` : i % 40 === 1 ? `u${i}${tricky[(i >> 3) % tricky.length]}` : `u${i}`,
    i % 30 === 0 ? tricky[(i >> 2) % tricky.length] : i % 45 === 0 ? [1, [2, 3], { k: "],[" }] : null,
    i % 11 === 0 ? null : i % 13 === 0 ? "x" : Math.round(rand() * 1e6) / 1e3,
    i % 4 === 0 ? "true" : i % 4 === 1,
    ["red", "green", "blue", "pink", "r],[ed"][i % 5],
    i % 2 === 0 ? "true" : "false",
    rand(),
  ]);
}
const features: FeatureSpec[] = [{ column: "a", fill: -1 }, { column: "b", kind: "boolean" }, { column: "c", kind: "categorical", categories: ["red", "green", "blue", "r],[ed"] }];
const rows = makeRows(6000, 7);
/** Rows written with random whitespace between and inside them, so cuts fall everywhere. */
function spaced(rowsIn: unknown[][]): string {
  const parts = rowsIn.map((r, i) => (i % 3 === 0 ? `[ ${r.map((v) => JSON.stringify(v)).join(" ,\n ")} ]` : JSON.stringify(r)));
  return `{"metadata":${JSON.stringify({ columns })},"data":[\n${parts.join(i2sep)}\n]}`;
}
const i2sep = " ,\n  ";
const bodies: Record<string, string> = {
  compact: dataset(columns, rows),
  spaced: spaced(rows),
  objects: dataset(columns, rows.map((r) => Object.fromEntries(columns.map((c, k) => [c, r[k]]).filter((_, k) => k !== 1 || r[1] !== null)))),
  // Larger than one 1 MiB chunk of the spool file, so its replay goes through the workers too.
  "data-first": dataset(columns, makeRows(30000, 9), "data-first"),
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "batchkit-parallel-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readBoth(body: string | Buffer, options: Partial<ReadDatasetOptions>, sizes: number[]): Promise<{ seq: Collected; par: Collected; seqStats: DatasetStats; parStats: DatasetStats }> {
  const base: ReadDatasetOptions = { features, extraColumns: ["y_value", "random", "note"], batchSize: 1000, tmpDir: dir, spoolMemoryBytes: 1024, ...options };
  const s = readDataset(byteChunks(body, sizes), { ...base, decodeThreads: 0 });
  const seq = await collect(s);
  const p = readDataset(byteChunks(body, sizes), { ...base, decodeThreads: 2, parallelMinBytes: 0, segmentBytes: 4096 });
  const par = await collect(p);
  return { seq, par, seqStats: s.stats(), parStats: p.stats() };
}

describe("parallel decoding (decodeThreads)", () => {
  for (const [name, body] of Object.entries(bodies)) {
    it(`gives exactly the sequential rows, batches and stats: ${name}`, async () => {
      const { seq, par, seqStats, parStats } = await readBoth(body, {}, [777, 5000, 1, 64, 65536]);
      expect(par.userIds.length).toBe(name === "data-first" ? 30000 : rows.length);
      expect(par).toEqual(seq);
      const { decode, http: _h, ...rest } = parStats;
      const { decode: _d, ...seqRest } = seqStats;
      expect(rest).toEqual(seqRest);
      expect(parStats.duplicateUserIds).toBeGreaterThan(0);
      // Both paths really ran: most segments by the workers, the wrong guesses in order.
      expect(decode?.threads).toBe(2);
      expect(decode?.parallelSegments).toBeGreaterThan(10);
      expect(decode?.sequentialSegments).toBeGreaterThan(1);
    });
  }

  it("raises the sequential error, with the same row and byte offset, for a bad row deep in the data", async () => {
    const bad = dataset(columns, [...rows.slice(0, 4321), [1, 2], ...rows.slice(4321)]);
    const malformed = bodies.compact!.replace(JSON.stringify(rows[5000]![4]), '"blue" x');
    for (const body of [bad, malformed]) {
      const options: ReadDatasetOptions = { features, batchSize: 1000 };
      const seq = await errorOf(() => collect(readDataset(byteChunks(body, [3000]), { ...options, decodeThreads: 0 })));
      const par = await errorOf(() => collect(readDataset(byteChunks(body, [3000]), { ...options, decodeThreads: 2, parallelMinBytes: 0, segmentBytes: 2048 })));
      expect(par.message).toBe(seq.message);
      expect({ code: par.code, row: par.row, byteOffset: par.byteOffset }).toEqual({ code: seq.code, row: seq.row, byteOffset: seq.byteOffset });
    }
    const lengthError = await errorOf(() => collect(readDataset(byteChunks(bad), { features, decodeThreads: 2, parallelMinBytes: 0, segmentBytes: 2048 })));
    expect(lengthError.message).toMatch(/^Row 4321 of data \(byte offset \d+\) has 2 values, expected 7/);
  });

  it("reports a body cut short inside the rows as the sequential reader does", async () => {
    const body = bodies.compact!.slice(0, Math.floor(bodies.compact!.length * 0.7));
    const seq = await errorOf(() => collect(readDataset(byteChunks(body), { features, decodeThreads: 0 })));
    const par = await errorOf(() => collect(readDataset(byteChunks(body), { features, decodeThreads: 2, parallelMinBytes: 0, segmentBytes: 4096 })));
    expect(par.code).toBe("DATASET_TRUNCATED");
    expect(par.message).toBe(seq.message);
  });

  it("reads a file: URL, and stops its workers when the consumer stops early", async () => {
    const path = join(dir, "rows.json");
    await writeFile(path, bodies.spaced!);
    const options: ReadDatasetOptions = { features, batchSize: 500, decodeThreads: 2, parallelMinBytes: 0, segmentBytes: 8192 };
    const whole = await collect(readDataset(pathToFileURL(path), options));
    expect(whole).toEqual(await collect(readDataset(byteChunks(bodies.spaced!), { ...options, decodeThreads: 0 })));
    const reader = readDataset(pathToFileURL(path).href, options);
    let seen = 0;
    for await (const b of reader) {
      seen += b.rows;
      if (seen >= 2000) break;
    }
    expect(seen).toBe(2000);
    expect(reader.stats().complete).toBe(false);
  });

  it("keeps no reference to a chunk once it is used up (a source may reuse or transfer its buffers)", async () => {
    // Chunks that end exactly between rows, each detached (as a transfer to a worker does) once the reader
    // asked for the next one: a reader still holding one would see it with length 0.
    const text = Buffer.from(bodies.compact!);
    const cuts: number[] = [];
    for (let at = text.indexOf("],[", 1000); at > 0 && cuts.length < 200; at = text.indexOf("],[", at + 3000)) cuts.push(at + 2);
    async function* detaching(): AsyncGenerator<Uint8Array> {
      let prev = 0;
      for (const cut of [...cuts, text.length]) {
        const ab = new ArrayBuffer(cut - prev);
        text.copy(Buffer.from(ab), 0, prev, cut);
        yield Buffer.from(ab);
        structuredClone(ab, { transfer: [ab] });
        prev = cut;
      }
    }
    for (const decodeThreads of [0, 2]) {
      const got = await collect(readDataset(detaching(), { features, decodeThreads, parallelMinBytes: 0, segmentBytes: 4096 }));
      expect(got).toEqual(await collect(readDataset(byteChunks(text), { features, decodeThreads: 0 })));
    }
  });

  it("starts its workers as soon as the body's Content-Length says the parallel path will run, with the same result", async () => {
    const body = Buffer.from(bodies.spaced!);
    const server = await startServer((req, res) => serveBytes(req, res, body));
    try {
      const options: ReadDatasetOptions = { features, extraColumns: ["note"], batchSize: 700, decodeThreads: 2, parallelMinBytes: 64 * 1024, segmentBytes: 8192 };
      const reader = readDataset(`${server.url}/rows.json`, options);
      const got = await collect(reader);
      expect(reader.stats().decode?.threads).toBe(2);
      expect(reader.stats().decode?.parallelSegments).toBeGreaterThan(5);
      expect(got).toEqual(await collect(readDataset(byteChunks(body), { ...options, decodeThreads: 0 })));
      // A body that fails before any row (no columns) leaves no started worker behind: the read ends.
      const broken = Buffer.from(`{"metadata":{"cols":[]},"data":[${"[1],".repeat(40000)}[1]]}`);
      const failing = await startServer((req, res) => serveBytes(req, res, broken));
      try {
        await expect(collect(readDataset(`${failing.url}/rows.json`, { ...options, parallelMinBytes: 1024 }))).rejects.toThrow(/has no metadata.columns/);
      } finally {
        await failing.close();
      }
    } finally {
      await server.close();
    }
  });

  it("decodes in this thread by default, and small bodies in this thread even with decodeThreads (below parallelMinBytes)", async () => {
    const plain = readDataset(byteChunks(bodies.compact!), { features });
    await collect(plain);
    expect(plain.stats().decode).toBeUndefined();
    const reader = readDataset(byteChunks(bodies.compact!), { features, decodeThreads: 2 });
    await collect(reader);
    expect(reader.stats().decode?.threads ?? 0).toBe(0);
  });

  it("refuses a bad decodeThreads", () => {
    const reader = readDataset(byteChunks(bodies.compact!), { features, decodeThreads: -1 });
    return expect(collect(reader)).rejects.toThrow(/decodeThreads must be an integer from 0 to 16, got -1/);
  });
});

describe("DecodePool", () => {
  it("decodes a segment as the reader would, and rejects what a worker that died held (no silent loss)", async () => {
    const text = Buffer.from(bodies.compact!);
    const cutter = new Segmenter(8192);
    const segments = cutter.push(text.subarray(text.indexOf("[[") + 1));
    const options = { threads: 1, columns, plan: { features, extraColumns: [], idColumn: "user_id", fill: 0 }, trackDuplicates: true, batchRows: 100, slotRows: 1024 };
    const pool = new DecodePool(options);
    const dying = new DecodePool(options);
    try {
      // The first cut starts at the first row; the second at a guessed row start.
      const rows = await pool.decode(segments[1]!);
      expect(rows).toBeDefined();
      expect(rows!.rows).toBeGreaterThan(10);
      expect(rows!.userIds).toHaveLength(rows!.rows);
      expect(rows!.hashes).toHaveLength(2 * rows!.rows);
      // The buffer came back with the answer.
      expect(segments[1]!.bytes.length).toBe(segments[1]!.length);
      // More rows than an output slot holds: the same rows, in a transferred buffer instead.
      const small = new DecodePool({ ...options, slotRows: 4 });
      try {
        const spilled = await small.decode(segments[1]!);
        expect(spilled!.rows).toBe(rows!.rows);
        expect(Array.from(spilled!.features)).toEqual(Array.from(rows!.features));
        expect(spilled!.userIds).toEqual(rows!.userIds);
        expect(Array.from(spilled!.hashes!)).toEqual(Array.from(rows!.hashes!));
        const here = small.decodeHere(segments[1]!);
        expect(Array.from(here!.features)).toEqual(Array.from(rows!.features));
      } finally {
        await small.close();
      }
      // A worker stopped before it could answer (terminated while it still starts): its segment is not lost quietly.
      const inFlight = dying.decode(segments[2]!);
      await (dying as unknown as { workers: Worker[] }).workers[0]!.terminate();
      await expect(inFlight).rejects.toThrow(/decode worker exited/);
      await expect(dying.decode(segments[3]!)).rejects.toThrow(/decode worker exited/);
    } finally {
      await pool.close();
      await dying.close();
    }
  });
});

describe("WarmWorkers", () => {
  it("hands its started workers to a pool, drops one that died while waiting, and ends the rest on close", async () => {
    const text = Buffer.from(bodies.compact!);
    const segments = new Segmenter(8192).push(text.subarray(text.indexOf("[[") + 1));
    const options = { threads: 1, columns, plan: { features, extraColumns: [], idColumn: "user_id", fill: 0 }, trackDuplicates: true, batchRows: 100, slotRows: 1024 };
    const cold = new DecodePool(options);
    const warm = new WarmWorkers(2);
    const warmPool = new DecodePool({ ...options, warm });
    try {
      const expected = await cold.decode(segments[1]!);
      const got = await warmPool.decode(segments[1]!);
      expect(got!.rows).toBe(expected!.rows);
      expect(Array.from(got!.features)).toEqual(Array.from(expected!.features));
      expect(got!.userIds).toEqual(expected!.userIds);
      // One of the two was taken; the other is still waiting.
      const idle = (warm as unknown as { idle: { worker: Worker }[] }).idle;
      expect(idle).toHaveLength(1);
      const exited = new Promise<number>((resolve) => idle[0]!.worker.once("exit", resolve));
      await warm.close();
      await exited;
      expect(idle).toHaveLength(0);
      // A warm worker that died before it was taken is not handed out: the pool starts a fresh one.
      const dead = new WarmWorkers(1);
      const deadIdle = (dead as unknown as { idle: { worker: Worker }[] }).idle;
      await deadIdle[0]!.worker.terminate();
      await new Promise((resolve) => setImmediate(resolve));
      expect(dead.take()).toBeUndefined();
      const fresh = new DecodePool({ ...options, warm: dead });
      try {
        expect((await fresh.decode(segments[2]!))!.rows).toBeGreaterThan(10);
      } finally {
        await fresh.close();
      }
    } finally {
      await cold.close();
      await warmPool.close();
    }
  });
});

describe("segment cuts", () => {
  it("finds the last ']' ',' '[' (or '}' ',' '{') with any whitespace", () => {
    const b = Buffer.from('[1,2],[3],\n [4] , {"a":1},{"b"');
    expect(lastRowStart(b, b.length)).toBe(b.indexOf('{"b"'));
    expect(lastRowStart(b, b.indexOf('{"a"'))).toBe(b.indexOf("[4]"));
    expect(lastRowStart(b, b.indexOf("[4]"))).toBe(b.indexOf("[3]"));
    expect(lastRowStart(Buffer.from("[[1,2,3]"), 8)).toBe(-1);
  });

  it("cuts a stream into segments that add up to it, each ending before a guessed row start", () => {
    const text = Buffer.from(bodies.spaced!);
    const seg = new Segmenter(1000, 10);
    const out: { start: number; bytes: Buffer; dispatchable: boolean }[] = [];
    for (let i = 0; i < text.length; i += 333) for (const s of seg.push(text.subarray(i, i + 333))) out.push({ ...s, bytes: Buffer.from(s.bytes) });
    for (const s of seg.end()) out.push({ ...s, bytes: Buffer.from(s.bytes) });
    expect(Buffer.concat(out.map((s) => s.bytes)).equals(text)).toBe(true);
    let at = 10;
    for (const s of out) {
      expect(s.start).toBe(at);
      at += s.bytes.length;
    }
    // Every dispatchable segment ends right before a '[' or '{' that follows "]," or "},".
    for (let k = 0; k < out.length - 1; k++) {
      if (!out[k]!.dispatchable) continue;
      const next = out[k + 1]!.bytes;
      expect([0x5b, 0x7b]).toContain(next[0]);
      expect(out[k]!.bytes.toString("latin1").trimEnd()).toMatch(/[\]}]\s*,$/);
    }
    expect(out.at(-1)!.dispatchable).toBe(false);
    expect(out.filter((s) => s.dispatchable).length).toBeGreaterThan(out.length / 2);
  });

  it("hands over a segment with no row start whole, as not dispatchable", () => {
    const seg = new Segmenter(64);
    const out = seg.push(Buffer.from(`["${"x".repeat(200)}"]`));
    expect(out.length).toBeGreaterThan(0);
    expect(out.every((s) => !s.dispatchable && s.bytes.length === 64)).toBe(true);
  });
});
