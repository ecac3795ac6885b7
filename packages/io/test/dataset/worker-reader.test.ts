import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetError, HttpError, readDataset, readDatasetInWorker, type DatasetReader, type FeatureSpec } from "../../src/index.js";
import { collect, dataset, errorOf } from "../helpers/byte-chunks.js";

const columns = ["user_id", "a", "b", "c", "y_value"];
// Some repeated ids, nulls, invalid numbers and unknown categories, so every stats counter is non-zero.
const idOf = (i: number): string | number => (i % 5 === 0 ? i : `user-${i}-é`);
const rows = Array.from({ length: 5000 }, (_, i) => [
  i % 97 === 0 ? idOf(i - 1) : idOf(i),
  i % 11 === 0 ? null : i % 13 === 0 ? "x" : i / 8,
  i % 3 === 0,
  ["red", "green", "blue", "pink"][i % 4],
  i % 2 === 0 ? "true" : "false",
]);
const body = Buffer.from(dataset(columns, rows));
const dataFirst = Buffer.from(dataset(columns, rows, "data-first"));
const badRow = Buffer.from(dataset(columns, [...rows.slice(0, 3000), [1, 2], ...rows.slice(3000)]));
const features: FeatureSpec[] = [{ column: "a", fill: -1 }, { column: "b", kind: "boolean" }, { column: "c", kind: "categorical", categories: ["red", "green", "blue"] }];
const width = 5;

let server: Server;
let base: string;
let dir: string;
let closedSlow: Promise<void> = Promise.resolve();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "batchkit-worker-reader-"));
  server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (path === "/missing") {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no such dataset");
      return;
    }
    if (path === "/slow") {
      // Half the body, then silence: only an abort ends the read.
      res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length) });
      res.write(body.subarray(0, body.length >> 1));
      closedSlow = new Promise((resolve) => res.on("close", () => resolve()));
      return;
    }
    const payload = path === "/data-first" ? dataFirst : path === "/bad-row" ? badRow : body;
    res.writeHead(200, { "content-type": "application/json", "content-length": String(payload.length) });
    for (let i = 0; i < payload.length; i += 8192) res.write(payload.subarray(i, i + 8192));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

const options = () => ({ features, extraColumns: ["y_value"], batchSize: 700, tmpDir: dir, http: { retry: { maxAttempts: 1 } } });

async function both(thread: DatasetReader, worker: DatasetReader) {
  const a = await collect(thread);
  const b = await collect(worker);
  return { a, b, sa: thread.stats(), sb: worker.stats() };
}

describe("readDatasetInWorker", () => {
  it.each(["/", "/data-first"])("gives the same batches, ids, features, extras and stats as readDataset for %s over HTTP", async (path) => {
    const url = `${base}${path}?range_start_gt_or_eq=0&sig=secret`;
    const worker = readDatasetInWorker(url, options());
    const { a, b, sa, sb } = await both(readDataset(url, options()), worker);
    expect(b).toEqual(a);
    expect(b.userIds).toHaveLength(rows.length);
    expect(b.batches.length).toBe(Math.ceil(rows.length / 700));
    expect(sb).toEqual(sa);
    expect(sb.complete).toBe(true);
    expect(sb.spooled).toBe(path === "/data-first");
    expect(sb.duplicateUserIds).toBeGreaterThan(0);
    expect(sb.duplicates.has("user-96-é")).toBe(true);
    expect(sb.duplicates.has("user-1-é")).toBe(false);
    expect(sb.columns["a"]!.invalid).toBeGreaterThan(0);
    expect(sb.columns["c"]!.unknownCategory).toBeGreaterThan(0);
    expect(await worker.columns).toEqual(columns);
  });

  it("decodes in parallel inside its worker too (decode workers started from a worker thread)", async () => {
    const url = `${base}/?range_start_gt_or_eq=0`;
    const parallel = readDatasetInWorker(url, { ...options(), decodeThreads: 1, parallelMinBytes: 0, segmentBytes: 8192 });
    const { a, b, sa, sb } = await both(readDataset(url, options()), parallel);
    expect(b).toEqual(a);
    const { decode, http: _hb, ...restB } = sb;
    const { http: _ha, ...restA } = sa;
    expect(restB).toEqual(restA);
    expect(decode?.threads).toBe(1);
    expect(decode?.parallelSegments).toBeGreaterThan(5);
  });

  it("reads a file: URL like readDataset reads the file's stream", async () => {
    const file = join(dir, "slice.json");
    await writeFile(file, body);
    const { a, b, sa, sb } = await both(readDataset(createReadStream(file), options()), readDatasetInWorker(pathToFileURL(file), options()));
    expect(b).toEqual(a);
    expect(sb).toEqual(sa);
    expect(sb.rows).toBe(rows.length);
  });

  it("one-hot encodes escaped and non-ASCII categories as JSON.parse reads them, in both modes", async () => {
    const text = '{"metadata":{"columns":["user_id","c"]},"data":[["u1","\\u00e9"],["u2","é"],["u3","a\\"b"],["u4","\\u0078"],["u5","ö"],["u6","xx"],["u7","x"]]}';
    const file = join(dir, "categories.json");
    await writeFile(file, text);
    const spec: FeatureSpec[] = [{ column: "c", kind: "categorical", categories: ["é", 'a"b', "x"] }];
    const expected = [[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, 0], [0, 0, 0], [0, 0, 1]];
    for (const reader of [readDataset(createReadStream(file), { features: spec, tmpDir: dir }), readDatasetInWorker(pathToFileURL(file), { features: spec, tmpDir: dir })]) {
      expect((await collect(reader)).features).toEqual(expected);
      expect(reader.stats().columns["c"]).toEqual({ missing: 0, invalid: 0, unknownCategory: 2 });
    }
  });

  it("rebuilds a DatasetError with its code, message, hint and place", async () => {
    const url = `${base}/bad-row?sig=secret`;
    const expected = await errorOf(() => collect(readDataset(url, options())));
    const got = await errorOf(() => collect(readDatasetInWorker(url, options())));
    expect(got).toBeInstanceOf(DatasetError);
    expect(expected.code).toBe("DATASET_ROW_LENGTH");
    for (const key of ["code", "message", "hint", "title", "row", "byteOffset", "column", "url"]) expect(got[key], key).toEqual(expected[key]);
    expect(got.message).not.toContain("secret");
  });

  it("rebuilds an HttpError with its code, status and message", async () => {
    const url = `${base}/missing?sig=secret`;
    const expected = await errorOf(() => collect(readDataset(url, options())));
    const got = await errorOf(() => collect(readDatasetInWorker(url, options())));
    expect(got).toBeInstanceOf(HttpError);
    expect(expected.code).toBe("HTTP_STATUS");
    for (const key of ["code", "message", "hint", "status", "url", "attempts"]) expect(got[key], key).toEqual(expected[key]);
  });

  it("ends with DATASET_ABORTED and stops the download when the signal aborts", async () => {
    const abort = new AbortController();
    const reader = readDatasetInWorker(`${base}/slow`, { ...options(), signal: abort.signal });
    let batches = 0;
    const err = await errorOf(async () => {
      for await (const _ of reader) {
        batches++;
        abort.abort(new Error("stop"));
      }
    });
    expect(batches).toBe(1);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.code).toBe("DATASET_ABORTED");
    // The worker was terminated: its connection to the server closes.
    await closedSlow;
    expect(reader.stats().complete).toBe(false);
  });

  it("hands batches out in a small pool of reused, pool-sized buffers", async () => {
    const reader = readDatasetInWorker(`${base}/`, options());
    let previous: Float32Array | undefined;
    let batches = 0;
    for await (const batch of reader) {
      // The previous batch's buffer went back to the worker (transferred), so it is detached here.
      if (previous !== undefined) expect(previous.buffer.byteLength).toBe(0);
      expect(batch.features.buffer.byteLength).toBe(700 * width * 4);
      expect(batch.features.length).toBe(batch.rows * width);
      previous = batch.features;
      batches++;
    }
    expect(batches).toBe(8);
  });
});
