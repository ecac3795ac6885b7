import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseDataJson } from "@batchkit/manifest";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DataJsonWriteError, formatNumber, openDataJsonWriter } from "../../src/index.js";
import { errorOf } from "../helpers/byte-chunks.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "batchkit-io-writer-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const readJson = async (path: string) => JSON.parse(await readFile(path, "utf8")) as { category?: string; properties: string[]; updates: unknown[][] };

describe("openDataJsonWriter", () => {
  it("writes valid data.json with escaped ids, 6-decimal values, and returns bytes and sha256", async () => {
    const path = join(dir, "data.json");
    const w = await openDataJsonWriter(path, { category: "Predictions", properties: ["Rating"] });
    const ids = ["plain", 'quo"te', "back\\slash", "new\nline", "\u0001", "é😀", "\ud800", "\u2028"];
    w.writeScores(ids, Float64Array.from(ids.map((_, i) => i / 7)));
    w.writeScores([42, -0], new Float32Array([0.43, 1e-9]));
    w.write(12345678901234567890, 0.1234565);
    const result = await w.close();
    const text = await readFile(path);
    const json = await readJson(path);
    expect(json.category).toBe("Predictions");
    expect(json.properties).toEqual(["Rating"]);
    expect(json.updates.map((u) => u[0])).toEqual([...ids, 42, 0, 12345678901234567890]);
    expect(json.updates.map((u) => u[1])).toEqual([0, 0.142857, 0.285714, 0.428571, 0.571429, 0.714286, 0.857143, 1, 0.43, 0, 0.123457]);
    expect(parseDataJson(json).ok).toBe(true);
    expect(result).toEqual({ path, bytes: text.length, sha256: createHash("sha256").update(text).digest("hex"), rows: 11, duplicatesRemoved: 0 });
    expect(await readdir(dir)).toEqual(["data.json"]);
  });

  it("writes scores byte for byte as the general path does (fast path for ASCII ids and scores in [0, 1])", async () => {
    let seed = 99;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296);
    const edge = [0, 1, -0, 1e-9, 4.9e-7, 5e-7, 5.000001e-7, 0.0000015, 0.9999994, 0.9999995, 0.99999951, 0.1, 0.5, 1 / 3, 2 / 3, 0.000001, 0.00001, 0.123450, 1.0000001, -0.25, 7.5, 123.4567891];
    const n = 60_000;
    const scores = new Float64Array(n);
    const f32 = new Float32Array(n);
    const ids: (string | number)[] = [];
    for (let i = 0; i < n; i++) {
      scores[i] = i < edge.length ? edge[i]! : i % 3 === 0 ? rand() : Math.round(rand() * 1e6) / 1e6;
      f32[i] = i < edge.length ? edge[i]! : rand();
      ids.push(i % 10 === 0 ? i : i % 17 === 0 ? `u"${i}\\` : i % 19 === 0 ? `ü${i}` : i % 23 === 0 ? `t\t${i}` : `user-${i.toString(36)}~ {}`);
    }
    for (const values of [scores, f32]) {
      const fast = await openDataJsonWriter(join(dir, "fast.json"), { properties: ["Rating"] });
      // Uneven batch sizes, so rows cross the 1 MiB buffer's flushes at every offset.
      for (let at = 0; at < n; at += 777) fast.writeScores(ids.slice(at, at + 777), values.subarray(at, at + 777));
      await fast.close();
      const slow = await openDataJsonWriter(join(dir, "slow.json"), { properties: ["Rating"] });
      for (let i = 0; i < n; i++) slow.write(ids[i]!, values[i]!);
      await slow.close();
      const a = await readFile(join(dir, "fast.json"), "utf8");
      expect(a).toBe(await readFile(join(dir, "slow.json"), "utf8"));
      const updates = (JSON.parse(a) as { updates: [string | number, number][] }).updates;
      updates.forEach(([id, v], i) => {
        expect(id).toBe(ids[i]);
        expect(v).toBe(Math.round(values[i]! * 1e6) / 1e6 || 0);
      });
    }
  });

  it("writes several properties of any JSON primitive and an empty file", async () => {
    const path = join(dir, "multi.json");
    const w = await openDataJsonWriter(path, { properties: ["Rating", "Segment", "Flag", "Note"] });
    w.write("u1", 0.5, "high", true, null);
    w.write("u2", 2, "lo\"w", false, "x");
    await w.close();
    expect(await readJson(path)).toEqual({ properties: ["Rating", "Segment", "Flag", "Note"], updates: [["u1", 0.5, "high", true, null], ["u2", 2, 'lo"w', false, "x"]] });
    const empty = join(dir, "empty.json");
    await (await openDataJsonWriter(empty, { properties: ["Rating"] })).close();
    expect(await readJson(empty)).toEqual({ properties: ["Rating"], updates: [] });
  });

  it("rejects NaN and Infinity naming the user id, and writes nothing of that batch", async () => {
    const path = join(dir, "data.json");
    const w = await openDataJsonWriter(path, { properties: ["Rating"] });
    w.writeScores(["ok"], new Float32Array([0.5]));
    const err = await errorOf(async () => w.writeScores(["a", "user-9"], new Float64Array([0.1, Number.NaN])));
    expect(err).toBeInstanceOf(DataJsonWriteError);
    expect(err).toMatchObject({ code: "DATA_JSON_VALUE_NOT_FINITE", userId: "user-9" });
    expect(err.message).toBe('The value for user "user-9" is NaN, which JSON cannot hold');
    expect(err.hint).toMatch(/finite number/);
    expect(() => w.write(7, Number.POSITIVE_INFINITY)).toThrow("The value for user 7 is Infinity, which JSON cannot hold");
    await w.close();
    expect((await readJson(path)).updates).toEqual([["ok", 0.5]]);
  });

  it("rejects a wrong value count, bad ids, bad values and empty properties", async () => {
    const w = await openDataJsonWriter(join(dir, "data.json"), { properties: ["Rating"] });
    expect(() => w.write("u1", 1, 2)).toThrow(/has 2 values, expected 1/);
    expect(() => w.write(Number.NaN, 1)).toThrow(/user id must be a string or a finite number/);
    expect(() => w.write("u1", {} as unknown as number)).toThrow(/value of type object/);
    expect(() => w.writeScores(["a"], new Float32Array(0))).toThrow(/count 1 with 1 ids and 0 scores/);
    expect(() => w.writeScores(["a", null as unknown as string], new Float32Array(2))).toThrow(/user id must be a string or a finite number, got null/);
    const result = await w.close();
    expect(result.rows).toBe(0);
    await expect(openDataJsonWriter(join(dir, "x.json"), { properties: [] })).rejects.toMatchObject({ code: "DATA_JSON_PROPERTIES_INVALID" });
    const multi = await openDataJsonWriter(join(dir, "m.json"), { properties: ["a", "b"] });
    expect(() => multi.writeScores(["a"], new Float32Array(1))).toThrow(/data.json has 2 properties/);
    await multi.abort();
  });

  it("writes to a temp file and renames on close; abort leaves no file and keeps an old one", async () => {
    const path = join(dir, "data.json");
    const old = await openDataJsonWriter(path, { properties: ["Rating"] });
    old.write("old", 1);
    await old.close();
    const w = await openDataJsonWriter(path, { properties: ["Rating"] });
    w.writeScores(Array.from({ length: 50_000 }, (_, i) => `u${i}`), new Float32Array(50_000).fill(0.25));
    const files = await readdir(dir);
    expect(files).toHaveLength(2);
    expect((await readJson(path)).updates).toEqual([["old", 1]]);
    await w.abort();
    expect(await readdir(dir)).toEqual(["data.json"]);
    expect(() => w.write("u", 1)).toThrow(/already aborted/);
  });

  it("fails with DATA_JSON_IO naming the path when the folder does not exist", async () => {
    const err = await errorOf(() => openDataJsonWriter(join(dir, "nope", "data.json"), { properties: ["Rating"] }));
    expect(err).toMatchObject({ code: "DATA_JSON_IO" });
    expect(err.message).toMatch(/nope/);
  });

  it("keeps only the last update of each duplicated id when asked to dedupe", async () => {
    const path = join(dir, "data.json");
    const w = await openDataJsonWriter(path, { category: "Predictions", properties: ["Rating"] });
    w.writeScores(["a", "b", "a", 7, "7", 7, "c", "a"], new Float64Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]));
    // "zz" is a candidate that occurs once (as after a fingerprint collision): it must be kept.
    const result = await w.close({ dedupe: new Set(["a", 7, "zz"]) });
    const text = await readFile(path);
    expect((await readJson(path)).updates).toEqual([["b", 0.2], ["7", 0.5], [7, 0.6], ["c", 0.7], ["a", 0.8]]);
    expect(result).toMatchObject({ rows: 5, duplicatesRemoved: 3, bytes: text.length, sha256: createHash("sha256").update(text).digest("hex") });
    const first = join(dir, "first.json");
    const w2 = await openDataJsonWriter(first, { properties: ["Rating"] });
    w2.writeScores(["a", "a", "b"], new Float32Array([1, 2, 3]));
    await w2.close({ dedupe: new Set(["a"]) });
    expect((await readJson(first)).updates).toEqual([["a", 2], ["b", 3]]);
  });
});

describe("close({ dedupe })", () => {
  it("keeps the last update of every repeated id, whatever the id's spelling, across buffer flushes", async () => {
    const pool: (string | number)[] = ["a", 'q"uote', "back\\slash", "ünï", "😀 astral", "\u2028", "tab\t", 7, "7", -0.5, 12345678901234567890, "long-".repeat(50)];
    let seed = 5;
    const rand = (k: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
    const n = 60_000;
    const ids: (string | number)[] = [];
    const values: number[] = [];
    for (let i = 0; i < n; i++) {
      // Mostly unique ids, with repeats of the pool scattered through (the first line is a repeat too).
      ids.push(i === 0 || rand(10) === 0 ? pool[rand(pool.length)]! : `u${i}`);
      values.push(rand(1000) / 1000);
    }
    const path = join(dir, "dedupe.json");
    const w = await openDataJsonWriter(path, { properties: ["Rating"] });
    for (let at = 0; at < n; at += 5000) w.writeScores(ids.slice(at, at + 5000), Float64Array.from(values.slice(at, at + 5000)));
    const result = await w.close({ dedupe: new Set(pool) });
    const lastAt = new Map<string | number, number>();
    ids.forEach((id, i) => lastAt.set(Object.is(id, -0) ? 0 : id, i));
    const expected = ids.map((id, i) => [id, values[i]] as const).filter(([id], i) => lastAt.get(id) === i);
    const text = await readFile(path, "utf8");
    const json = JSON.parse(text) as { updates: [string | number, number][] };
    expect(json.updates).toEqual(expected.map(([id, v]) => [id, v]));
    expect(result.rows).toBe(expected.length);
    expect(result.duplicatesRemoved).toBe(n - expected.length);
    expect(result.bytes).toBe(Buffer.byteLength(text));
    expect(result.sha256).toBe(createHash("sha256").update(text).digest("hex"));
    expect(text.split("\n").every((line, i, all) => i === 0 || i === all.length - 1 || i === all.length - 2 || /^,?\[/.test(line))).toBe(true);
  });
});

describe("formatNumber", () => {
  it("rounds to at most 6 decimals in shortest form", () => {
    expect([0.43000001072883606, 1 / 3, 0.0000004, -0.0000006, 1e21, 123456789.1234567, -0, 5, 2.5e-6].map(formatNumber)).toEqual(["0.43", "0.333333", "0", "-0.000001", "1e+21", "123456789.123457", "0", "5", "0.000003"]);
  });
});
