import { describe, expect, it } from "vitest";
import { DatasetError, readDataset, type FeatureSpec, type RowBatch } from "../../src/index.js";
import { byteChunks, collect, dataset, errorOf } from "../helpers/byte-chunks.js";

const A: FeatureSpec[] = [{ column: "a" }];
const fail = (text: string, features: FeatureSpec[] = A, sizes = [5]) => errorOf(() => collect(readDataset(byteChunks(text, sizes), { features })));

describe("readDataset errors", () => {
  it("names the byte offset and row of malformed JSON inside a row", async () => {
    const text = dataset(["user_id", "a"], [["u1", 1], ["u2", 2]]).replace("2]]", "2x]]");
    const err = await fail(text);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err).toMatchObject({ code: "DATASET_JSON_MALFORMED", byteOffset: text.indexOf("x"), row: 1 });
    expect(err.message).toBe(`Malformed JSON at byte offset ${text.indexOf("x")} (row 1 of data): expected ',' or ']' inside a row, found "x"`);
    expect(err.hint).toMatch(/not valid JSON/);
    expect(err.title).toBe("The dataset is not valid JSON");
  });

  it.each([
    ["a leading zero", "01"],
    ["a bare decimal point", "1."],
    ["a leading plus", "+1"],
    ["an empty exponent", "1e"],
    ["a bad literal", "nul1"],
    ["a single quote", "'x'"],
  ])("rejects %s with its byte offset", async (_name, bad) => {
    const text = `{"metadata":{"columns":["user_id","a"]},"data":[["u1",${bad}]]}`;
    const err = await fail(text);
    expect(err.code).toBe("DATASET_JSON_MALFORMED");
    expect(err.byteOffset).toBeGreaterThanOrEqual(text.indexOf(bad));
    expect(err.byteOffset).toBeLessThanOrEqual(text.indexOf(bad) + bad.length);
  });

  it("rejects malformed JSON outside the rows and trailing bytes", async () => {
    expect(await fail('["not an object"]')).toMatchObject({ code: "DATASET_JSON_MALFORMED", byteOffset: 0 });
    const trailing = `${dataset(["user_id", "a"], [])} x`;
    const err = await fail(trailing);
    expect(err).toMatchObject({ code: "DATASET_JSON_MALFORMED", byteOffset: trailing.length - 1 });
    expect(err.message).toMatch(/expected nothing after the end of the document/);
    const meta = await fail('{"metadata":{"columns":["user_id","a",]},"data":[]}');
    expect(meta.code).toBe("DATASET_JSON_MALFORMED");
    expect(meta.message).toMatch(/metadata \(ending at byte offset 40\) is not valid JSON/);
    expect(await fail('{"metadata":{"columns":["user_id","a"]} "data":[]}')).toMatchObject({ code: "DATASET_JSON_MALFORMED", byteOffset: 40 });
  });

  it("names the row, expected and actual length of a row of the wrong length", async () => {
    const text = dataset(["user_id", "a", "b"], [["u1", 1, 2], ["u2", 1], ["u3", 1, 2]]);
    const err = await fail(text);
    expect(err).toMatchObject({ code: "DATASET_ROW_LENGTH", row: 1, byteOffset: text.indexOf('["u2"') });
    expect(err.message).toBe(`Row 1 of data (byte offset ${text.indexOf('["u2"')}) has 2 values, expected 3 (one per metadata.columns entry)`);
    const long = await fail(dataset(["user_id", "a"], [["u1", 1, [2], "x"]]));
    expect(long.message).toMatch(/has 4 values, expected 2/);
    expect((await fail(dataset(["user_id", "a"], [[]]))).message).toMatch(/Row 0 .* has 0 values, expected 2/);
  });

  it("requires metadata.columns", async () => {
    const none = await fail('{"data":[["u1",1]]}');
    expect(none).toMatchObject({ code: "DATASET_NO_COLUMNS" });
    expect(none.message).toBe("The dataset has no metadata; the column names are needed to read its rows");
    expect(none.hint).toMatch(/metadata/);
    expect((await fail('{"metadata":{"cols":[]},"data":[]}')).message).toMatch(/has no metadata.columns/);
    expect((await fail('{"metadata":[1],"data":[]}')).code).toBe("DATASET_NO_COLUMNS");
  });

  it("rejects invalid metadata.columns", async () => {
    const err = await fail('{"metadata":{"columns":["user_id","a","a"]},"data":[]}');
    expect(err.code).toBe("DATASET_COLUMNS_INVALID");
    expect(err.message).toMatch(/duplicates the column name "a"/);
  });

  it("names a feature column the dataset lacks and the columns it has", async () => {
    const err = await fail(dataset(["user_id", "a", "b"], []), [{ column: "feature_x" }]);
    expect(err).toMatchObject({ code: "DATASET_COLUMN_MISSING", column: "feature_x" });
    expect(err.message).toBe('The dataset has no column "feature_x" (feature 0); its columns are: user_id, a, b');
    const extra = await errorOf(() => collect(readDataset(byteChunks(dataset(["user_id"], [])), { features: [], extraColumns: ["y_value"] })));
    expect(extra.message).toMatch(/no column "y_value" \(an extra column\)/);
    const id = await fail(dataset(["uid", "a"], []));
    expect(id.message).toMatch(/no column "user_id" \(the user id column\)/);
  });

  it("rejects the columns promise too", async () => {
    const reader = readDataset(byteChunks(dataset(["user_id"], [])), { features: A });
    await expect(collect(reader)).rejects.toMatchObject({ code: "DATASET_COLUMN_MISSING" });
    await expect(reader.columns).rejects.toMatchObject({ code: "DATASET_COLUMN_MISSING" });
  });

  it("reports a body that ends inside data with the byte offset and rows read, never yielding the partial row", async () => {
    const full = dataset(["user_id", "a"], [["u1", 1], ["u2", 2], ["u3", 3]]);
    const cut = full.slice(0, full.indexOf('["u3"') + 5);
    const ids: (string | number)[] = [];
    const err = await errorOf(async () => {
      for await (const b of readDataset(byteChunks(cut, [3]), { features: A, batchSize: 1 })) ids.push(...(b as RowBatch).userIds);
    });
    expect(err).toMatchObject({ code: "DATASET_TRUNCATED", byteOffset: cut.length, row: 2 });
    expect(err.message).toBe(`The dataset body ended early at byte offset ${cut.length}, inside data after 2 complete rows`);
    expect(ids).toEqual(["u1", "u2"]);
    const early = await fail('{"metadata":{"colu');
    expect(early.message).toMatch(/before the document was complete/);
    expect((await fail(full.slice(0, -1))).code).toBe("DATASET_TRUNCATED");
    expect((await fail("")).code).toBe("DATASET_TRUNCATED");
  });

  it("rejects a data that is not an array, a missing data and a repeated key", async () => {
    expect(await fail('{"metadata":{"columns":["user_id","a"]},"data":{}}')).toMatchObject({ code: "DATASET_SHAPE_INVALID", byteOffset: 47 });
    expect(await fail('{"data":5,"metadata":{"columns":["user_id","a"]}}')).toMatchObject({ code: "DATASET_SHAPE_INVALID" });
    expect((await fail('{"metadata":{"columns":["user_id","a"]}}')).message).toBe('The dataset has no "data" array');
    expect((await fail('{"metadata":{"columns":["user_id","a"]},"data":[],"data":[]}')).message).toMatch(/second "data" key/);
  });

  it("rejects a row that is neither array nor object, and a row without a usable user id", async () => {
    const row = await fail('{"metadata":{"columns":["user_id","a"]},"data":[["u1",1],5]}');
    expect(row).toMatchObject({ code: "DATASET_ROW_INVALID", row: 1 });
    expect(row.message).toBe('Row 1 of data (byte offset 57) is neither an array nor an object (starts with "5")');
    const nullId = await fail(dataset(["user_id", "a"], [[null, 1]]));
    expect(nullId).toMatchObject({ code: "DATASET_USER_ID_INVALID", row: 0 });
    expect(nullId.message).toMatch(/has a user_id that is null, not a string or number/);
    expect((await fail(dataset(["user_id", "a"], [{ a: 1 }]))).message).toMatch(/Row 0 .* has no user_id/);
    expect((await fail(dataset(["user_id", "a"], [[true, 1]]))).message).toMatch(/user_id that is boolean/);
  });

  it("rejects a bad feature spec before reading", () => {
    expect(() => readDataset(byteChunks(""), { features: [{ column: "a" }, { column: "a" }] })).toThrow(/repeats the column "a"/);
    expect(() => readDataset(byteChunks(""), { features: [{ column: "c", kind: "categorical", categories: [] }] })).toThrow(DatasetError);
    expect(() => readDataset(byteChunks(""), { features: [{ column: "a", fill: Number.NaN }] })).toThrow(/fill that is not a finite number/);
    expect(() => readDataset(byteChunks(""), { features: A, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });

  it("stops with DATASET_ABORTED when the signal aborts", async () => {
    const controller = new AbortController();
    const rows = Array.from({ length: 100 }, (_, i) => [`u${i}`, i]);
    const reader = readDataset(byteChunks(dataset(["user_id", "a"], rows), [64]), { features: A, batchSize: 10, signal: controller.signal });
    const err = await errorOf(async () => {
      for await (const _ of reader) controller.abort(new Error("stop"));
    });
    expect(err).toMatchObject({ code: "DATASET_ABORTED" });
    expect((err.cause as Error).message).toBe("stop");
  });

  it("names the tmpDir when spooling or counting ids cannot write there", async () => {
    const rows = Array.from({ length: 200 }, (_, i) => [`u${i}`, i]);
    const missing = "/nonexistent-batchkit-dir";
    const spool = await errorOf(() => collect(readDataset(byteChunks(dataset(["user_id", "a"], rows, "data-first"), [256]), { features: A, tmpDir: missing, spoolMemoryBytes: 16 })));
    expect(spool).toMatchObject({ code: "DATASET_SPOOL_FAILED" });
    expect(spool.message).toMatch(/Could not create the spool file for a data array that precedes metadata in \/nonexistent-batchkit-dir: ENOENT/);
    const many = Array.from({ length: 5000 }, (_, i) => [`u${i}`, i]);
    const ids = await errorOf(() => collect(readDataset(byteChunks(dataset(["user_id", "a"], many), [4096]), { features: A, tmpDir: missing, duplicateMemoryBytes: 16 })));
    expect(ids).toMatchObject({ code: "DATASET_SPOOL_FAILED" });
    expect(ids.message).toMatch(/user id fingerprints to a temp file in \/nonexistent-batchkit-dir/);
    expect(ids.hint).toMatch(/trackDuplicates: false/);
  });

  it("can be iterated once", async () => {
    const reader = readDataset(byteChunks(dataset(["user_id", "a"], [])), { features: A });
    await collect(reader);
    await expect(collect(reader)).rejects.toThrow(/iterated once/);
  });
});
