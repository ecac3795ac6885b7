import { describe, expect, it } from "vitest";
import { featureNames, featureWidth, readDataset, type FeatureSpec } from "../../src/index.js";
import { byteChunks, collect, dataset } from "../helpers/byte-chunks.js";

const read = (text: string, features: FeatureSpec[], extra: Partial<Parameters<typeof readDataset>[1]> = {}) =>
  readDataset(byteChunks(text, [7]), { features, ...extra });

describe("readDataset encoding", () => {
  it("keeps numbers as they are, as float32", async () => {
    const numbers = ["1.5", "-0", "1e-7", "1.5E+10", "12345678901234567890", "0.1", "-0.0", "123456789.123456789", "1e308", "5e-324", "2.5e-3", "100"];
    const text = `{"metadata":{"columns":["user_id","a"]},"data":[${numbers.map((n, i) => `["u${i}",${n}]`).join(",")}]}`;
    const got = await collect(read(text, [{ column: "a" }]));
    expect(got.features.map((r) => r[0])).toEqual(numbers.map((n) => Math.fround(Number(JSON.parse(n)))));
    expect(got.features[1]![0]).toBe(-0);
    expect(got.features[3]![0]).toBe(Math.fround(1.5e10));
  });

  it("parses numbers to the exact double JSON.parse gives (seen through an extra column)", async () => {
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const numbers: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const digits = String(next() % 10 ** (1 + (i % 9)));
      const point = next() % (digits.length + 1);
      const text = point === digits.length ? digits : `${digits.slice(0, point) || "0"}.${digits.slice(point)}`;
      numbers.push(`${i % 3 === 0 ? "-" : ""}${text}${i % 5 === 0 ? `e${(next() % 40) - 20}` : ""}`);
    }
    const text = `{"metadata":{"columns":["user_id","a"]},"data":[${numbers.map((n, i) => `[${i},${n}]`).join(",")}]}`;
    const got = await collect(read(text, [{ column: "a" }], { extraColumns: ["a"] }));
    expect(got.extras.a).toEqual(numbers.map((n) => JSON.parse(n) as number));
    expect(got.features.map((r) => r[0])).toEqual(numbers.map((n) => Math.fround(JSON.parse(n) as number)));
  });

  it("reads true/false and the strings \"true\"/\"false\" as 1/0", async () => {
    const text = dataset(["user_id", "b"], [["u1", true], ["u2", false], ["u3", "true"], ["u4", "false"]]);
    const reader = read(text, [{ column: "b", kind: "boolean" }]);
    const got = await collect(reader);
    expect(got.features).toEqual([[1], [0], [1], [0]]);
    expect(reader.stats().columns.b).toEqual({ missing: 0, invalid: 0 });
  });

  it("decodes an escaped \"true\" string like JSON.parse does", async () => {
    const text = `{"metadata":{"columns":["user_id","b"]},"data":[["u1","tru\\u0065"]]}`;
    expect((await collect(read(text, [{ column: "b" }]))).features).toEqual([[1]]);
  });

  it("fills null as missing with the spec's fill, the reader's fill, or 0, and counts it", async () => {
    const text = dataset(["user_id", "a", "b", "c"], [["u1", null, null, null], ["u2", 1, 2, 3]]);
    const reader = read(text, [{ column: "a", fill: -1 }, { column: "b" }, { column: "c" }], { fill: 7 });
    const got = await collect(reader);
    expect(got.features).toEqual([[-1, 7, 7], [1, 2, 3]]);
    expect(reader.stats().columns).toEqual({ a: { missing: 1, invalid: 0 }, b: { missing: 1, invalid: 0 }, c: { missing: 1, invalid: 0 } });
    const zero = await collect(read(text, [{ column: "b" }]));
    expect(zero.features[0]).toEqual([0]);
  });

  it("counts a string, array or object where a number is expected as invalid and fills it", async () => {
    const text = dataset(["user_id", "a"], [["u1", "12"], ["u2", [1]], ["u3", { x: 1 }], ["u4", ""], ["u5", 4]]);
    const reader = read(text, [{ column: "a", fill: -5 }]);
    const got = await collect(reader);
    expect(got.features.map((r) => r[0])).toEqual([-5, -5, -5, -5, 4]);
    expect(reader.stats().columns.a).toEqual({ missing: 0, invalid: 4 });
  });

  it("one-hot encodes categorical columns; unknown and missing are all zero and counted", async () => {
    const text = dataset(["user_id", "country"], [["u1", "DE"], ["u2", "NL"], ["u3", "FR"], ["u4", null], ["u5", 3], ["u6", "DE"]]);
    const features: FeatureSpec[] = [{ column: "country", kind: "categorical", categories: ["DE", "NL", "3"] }];
    const reader = read(text, features);
    const got = await collect(reader);
    expect(got.features).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0], [0, 0, 1], [1, 0, 0]]);
    expect(reader.stats().columns.country).toEqual({ missing: 1, invalid: 0, unknownCategory: 1 });
    expect(featureWidth(features)).toBe(3);
    expect(featureNames(features)).toEqual(["country=DE", "country=NL", "country=3"]);
  });

  it("puts features in spec order, not column order, and skips unused columns of any kind", async () => {
    const text = dataset(["user_id", "skip", "b", "a"], [["u1", { deep: [1, { "]": "[" }] }, 2, 1]]);
    const got = await collect(read(text, [{ column: "a" }, { column: "b" }]));
    expect(got.features).toEqual([[1, 2]]);
  });

  it("gives user ids exactly as JSON.parse does: escapes, \\u sequences, surrogate pairs, numbers", async () => {
    const ids = ["plain", "quo\"te", "back\\slash", "tab\tnew\nline", "é", "日本", "😀 emoji", "\u0000nul", "\ud800 lone"];
    const text = `{"metadata":{"columns":["user_id","a"]},"data":[${ids.map((id, i) => `[${JSON.stringify(id)},${i}]`).join(",")},["\\ud83d\\ude00",1],[42,1],[-1.5e3,1],[12345678901234567890,1]]}`;
    const got = await collect(read(text, [{ column: "a" }]));
    expect(got.userIds).toEqual([...ids, "😀", 42, -1500, 12345678901234567890]);
    expect(got.userIds).toEqual((JSON.parse(text) as { data: unknown[][] }).data.map((r) => r[0]));
  });

  it("returns extra columns as JSON.parse gives them, also when a column is a feature too", async () => {
    const text = dataset(["user_id", "y_value", "random", "obj"], [["u1", "true", 0.25, { a: [1, "x"] }], ["u2", "false", 5.47e-7, null]]);
    const got = await collect(read(text, [{ column: "random" }], { extraColumns: ["y_value", "random", "obj", "user_id"] }));
    expect(got.extras).toEqual({ y_value: ["true", "false"], random: [0.25, 5.47e-7], obj: [{ a: [1, "x"] }, null], user_id: ["u1", "u2"] });
    expect(got.features).toEqual([[0.25], [Math.fround(5.47e-7)]]);
  });

  it("reads rows given as objects; absent keys are missing", async () => {
    const text = JSON.stringify({
      metadata: { columns: ["user_id", "a", "c", "y_value"] },
      data: [{ a: 1, user_id: "u1", c: "x", y_value: "true", unknown: [1] }, { user_id: "u2" }],
    });
    const reader = read(text, [{ column: "a", fill: 9 }, { column: "c", kind: "categorical", categories: ["x"] }], { extraColumns: ["y_value"] });
    const got = await collect(reader);
    expect(got.userIds).toEqual(["u1", "u2"]);
    expect(got.features).toEqual([[1, 1], [9, 0]]);
    expect(got.extras.y_value).toEqual(["true", null]);
    expect(reader.stats().columns).toEqual({ a: { missing: 1, invalid: 0 }, c: { missing: 1, invalid: 0, unknownCategory: 0 } });
  });

  it("accepts mixed array and object rows and whitespace anywhere", async () => {
    const text = ' \n{ "metadata" : { "columns" : [ "user_id" , "a" ] } ,\n "data" : [\n [ "u1" , 1 ] ,\r\n\t{ "a" : 2 , "user_id" : "u2" }\n ]\n }\n ';
    const got = await collect(read(text, [{ column: "a" }]));
    expect(got.userIds).toEqual(["u1", "u2"]);
    expect(got.features).toEqual([[1], [2]]);
  });

  it("yields batches of batchSize rows with firstRow, reusing one buffer", async () => {
    const rows = Array.from({ length: 10 }, (_, i) => [`u${i}`, i]);
    const reader = readDataset(byteChunks(dataset(["user_id", "a"], rows), [3]), { features: [{ column: "a" }], batchSize: 4 });
    const seen: { rows: number; firstRow: number; first: number; buffer: ArrayBufferLike }[] = [];
    for await (const b of reader) seen.push({ rows: b.rows, firstRow: b.firstRow, first: b.features[0]!, buffer: b.features.buffer });
    expect(seen.map(({ rows, firstRow, first }) => [rows, firstRow, first])).toEqual([[4, 0, 0], [4, 4, 4], [2, 8, 8]]);
    expect(new Set(seen.map((s) => s.buffer)).size).toBe(1);
    expect(reader.stats().rows).toBe(10);
    expect(reader.stats().complete).toBe(true);
  });

  it("resolves columns once metadata is read and reads an empty data array", async () => {
    const reader = read(dataset(["user_id", "a"], []), [{ column: "a" }]);
    const got = await collect(reader);
    expect(await reader.columns).toEqual(["user_id", "a"]);
    expect(got.batches).toEqual([]);
    expect(reader.stats()).toMatchObject({ rows: 0, duplicateUserIds: 0, complete: true });
  });

  it("skips unknown top-level keys of any shape", async () => {
    const text = `{"version":"1.0","extra":{"a":[1,2,{"b":"}"}]},"metadata":{"columns":["user_id","a"],"other":true},"n":-1.5e3,"flag":null,"data":[["u1",3]],"tail":[]}`;
    const got = await collect(read(text, [{ column: "a" }]));
    expect(got.features).toEqual([[3]]);
  });

  it("reports bytes read", async () => {
    const text = dataset(["user_id", "a"], [["u1", 1]]);
    const reader = read(text, [{ column: "a" }]);
    await collect(reader);
    expect(reader.stats().bytes).toBe(Buffer.byteLength(text));
  });
});
