import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StorageError, download } from "../src/index.js";
import { recordingSleep, type StorageServer } from "./helpers/storage-server.js";
import { useStorageFixture, type TempDir } from "./helpers/storage-fixture.js";

let server: StorageServer;
let tmp: TempDir;
useStorageFixture((s, t) => {
  server = s;
  tmp = t;
});

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

function store(path: string, size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
  server.files.set(path, { bytes, sha256: sha(bytes), contentType: undefined });
  return bytes;
}

describe("download", () => {
  it("writes the file under the working directory and returns size and sha256", async () => {
    const bytes = store("model.onnx", 500_000);
    const result = await download(server.downloadBase, "model.onnx", "models/model.onnx", { cwd: tmp.dir });
    expect(result).toEqual({ path: join(tmp.dir, "models/model.onnx"), bytes: 500_000, sha256: sha(bytes) });
    expect((await readFile(result.path)).equals(bytes)).toBe(true);
    expect(await readdir(join(tmp.dir, "models"))).toEqual(["model.onnx"]);
  });

  it("downloads an empty file", async () => {
    store("empty.json", 0);
    const result = await download(server.downloadBase, "empty.json", "empty.json", { cwd: tmp.dir });
    expect(result.bytes).toBe(0);
    expect((await readFile(result.path)).length).toBe(0);
  });

  it("names the stage and the file on a 404, and writes nothing", async () => {
    const err = (await download(`${server.downloadBase}?sig=abc`, "model.onnx", "model.onnx", { cwd: tmp.dir, stage: "trainMore" }).catch(
      (e: unknown) => e,
    )) as StorageError;
    expect(err).toBeInstanceOf(StorageError);
    expect(err.code).toBe("DOWNLOAD_NOT_FOUND");
    expect(err.message).toBe(`trainMore did not upload model.onnx: GET ${server.url}/files/model.onnx?… answered 404`);
    expect(await readdir(tmp.dir)).toEqual([]);
  });

  it("reports a truncated download after retries and leaves no partial file", async () => {
    const { sleep } = recordingSleep();
    store("model.onnx", 300_000);
    server.ranges = false;
    for (let i = 0; i < 3; i++) server.faults.download.push({ kind: "truncate-after", bytes: 100_000 });
    const err = (await download(server.downloadBase, "model.onnx", "model.onnx", { cwd: tmp.dir, sleep, retry: { maxAttempts: 3 } }).catch(
      (e: unknown) => e,
    )) as StorageError;
    expect(err.code).toBe("DOWNLOAD_TRUNCATED");
    expect(err.message).toContain("at byte 100000 of 300000");
    expect(await readdir(tmp.dir)).toEqual([]);
  });

  it("resumes with Range after a reset and still writes every byte once", async () => {
    const { sleep } = recordingSleep();
    const bytes = store("model.onnx", 2_000_000);
    server.faults.download.push({ kind: "reset-after", bytes: 700_000 });
    const result = await download(server.downloadBase, "model.onnx", "model.onnx", { cwd: tmp.dir, sleep });
    expect(result.sha256).toBe(sha(bytes));
    expect((await readFile(result.path)).equals(bytes)).toBe(true);
    const gets = server.log.filter((r) => r.url === "/files/model.onnx");
    expect(gets).toHaveLength(2);
    expect(gets[1]?.headers.range).toMatch(/^bytes=[1-9]\d*-$/);
  });

  it("refuses a file above maxBytes before reading it", async () => {
    store("model.onnx", 10_000);
    const err = (await download(server.downloadBase, "model.onnx", "model.onnx", { cwd: tmp.dir, maxBytes: 9_999 }).catch((e: unknown) => e)) as StorageError;
    expect(err.code).toBe("DOWNLOAD_TOO_LARGE");
    expect(existsSync(join(tmp.dir, "model.onnx"))).toBe(false);
    const ok = await download(server.downloadBase, "model.onnx", "model.onnx", { cwd: tmp.dir, maxBytes: 10_000 });
    expect(ok.bytes).toBe(10_000);
  });

  it("keeps an existing file untouched when a download fails", async () => {
    const first = store("model.onnx", 1000);
    await download(server.downloadBase, "model.onnx", "model.onnx", { cwd: tmp.dir });
    server.faults.download.push({ kind: "status", status: 410 });
    const err = (await download(server.downloadBase, "model.onnx", "model.onnx", { cwd: tmp.dir }).catch((e: unknown) => e)) as StorageError;
    expect(err.code).toBe("DOWNLOAD_FAILED");
    expect((await readFile(join(tmp.dir, "model.onnx"))).equals(first)).toBe(true);
  });
});
