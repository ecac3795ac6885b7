import { createHash } from "node:crypto";
import { appendFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { StorageError, upload } from "../src/index.js";
import { recordingSleep, type StorageServer } from "./helpers/storage-server.js";
import { useStorageFixture, type TempDir } from "./helpers/storage-fixture.js";
import { writeTestFile } from "./helpers/temp-dir.js";

let server: StorageServer;
let tmp: TempDir;
useStorageFixture((s, t) => {
  server = s;
  tmp = t;
});

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const puts = (): StorageServer["log"] => server.log.filter((r) => r.method === "PUT");

describe("upload", () => {
  it("PUTs the file with Content-Length and a type by extension, and returns size and sha256", async () => {
    const file = await writeTestFile(tmp.dir, "model.onnx", 300_000);
    const progress: [number, number][] = [];
    const result = await upload(file.path, { uploadUrl: server.uploadBase, path: "model.onnx", onProgress: (s, t) => progress.push([s, t]) });
    const stored = server.files.get("model.onnx");
    expect(stored?.sha256).toBe(sha(file.bytes));
    expect(result).toEqual({ bytes: 300_000, sha256: sha(file.bytes), attempts: 1, url: `${server.url}/store/model.onnx?…` });
    const put = puts()[0];
    expect(put?.headers["content-length"]).toBe("300000");
    expect(put?.headers["transfer-encoding"]).toBeUndefined();
    expect(stored?.contentType).toBe("application/octet-stream");
    expect(progress[0]).toEqual([0, 300_000]);
    expect(progress.at(-1)).toEqual([300_000, 300_000]);
  });

  it("uploads an empty file", async () => {
    const file = await writeTestFile(tmp.dir, "empty.json", 0);
    const result = await upload(file.path, { uploadUrl: server.uploadBase, path: "empty.json" });
    expect(result).toMatchObject({ bytes: 0, sha256: sha(Buffer.alloc(0)), attempts: 1 });
    expect(server.files.get("empty.json")?.bytes.length).toBe(0);
    expect(puts()[0]?.headers["content-length"]).toBe("0");
  });

  it("sends data.json as application/json and encodes each path segment", async () => {
    const file = await writeTestFile(tmp.dir, "data.json", 1000);
    await upload(file.path, { uploadUrl: server.uploadBase, path: "out put/batch #1/data.json" });
    expect(server.log[0]?.url).toBe("/upload_url/out%20put/batch%20%231/data.json");
    expect(server.files.get("out put/batch #1/data.json")?.contentType).toBe("application/json");
  });

  for (const format of ["plain", "json-string", "json-object"] as const) {
    it(`accepts an upload URL answered as ${format}`, async () => {
      server.answer = { format };
      const file = await writeTestFile(tmp.dir, "m.bin", 10);
      const result = await upload(file.path, { uploadUrl: server.uploadBase, path: "m.bin" });
      expect(result.sha256).toBe(sha(file.bytes));
      expect(server.files.has("m.bin")).toBe(true);
    });
  }

  for (const [raw, why] of [
    ["ftp://127.0.0.1/x?sig=1", "scheme"],
    ["not a url", "not an absolute URL"],
    ['{"nope": 1}', 'no "url" string'],
    ["42", "not an absolute URL"],
    ['{"url": ', "does not parse"],
    ["", "empty"],
  ] as const) {
    it(`refuses an upload URL answer ${JSON.stringify(raw)}`, async () => {
      server.answer = { raw };
      const file = await writeTestFile(tmp.dir, "m.bin", 10);
      const err = (await upload(file.path, { uploadUrl: server.uploadBase, path: "m.bin" }).catch((e: unknown) => e)) as StorageError;
      expect(err).toBeInstanceOf(StorageError);
      expect(err.code).toBe("UPLOAD_URL_INVALID");
      expect(err.message).toContain(why);
      expect(err.message).not.toContain("sig=1");
      expect(puts()).toHaveLength(0);
    });
  }

  it("retries two 503s and then succeeds, re-reading the file each time", async () => {
    const { sleep, delays } = recordingSleep();
    server.faults.put.push({ kind: "status", status: 503 }, { kind: "status", status: 503 });
    const file = await writeTestFile(tmp.dir, "model.onnx", 200_000, 5);
    const result = await upload(file.path, { uploadUrl: server.uploadBase, path: "model.onnx", sleep });
    expect(result.attempts).toBe(3);
    expect(delays).toHaveLength(2);
    expect(puts()).toHaveLength(3);
    expect(server.files.get("model.onnx")?.sha256).toBe(sha(file.bytes));
  });

  it("waits what a 429's Retry-After asks", async () => {
    const { sleep, delays } = recordingSleep();
    server.faults.put.push({ kind: "status", status: 429, headers: { "retry-after": "2" } });
    const file = await writeTestFile(tmp.dir, "model.onnx", 1000);
    await upload(file.path, { uploadUrl: server.uploadBase, path: "model.onnx", sleep });
    expect(delays).toEqual([2000]);
    expect(server.files.get("model.onnx")?.sha256).toBe(sha(file.bytes));
  });

  it("asks for a fresh URL after a 403 'Request has expired'", async () => {
    const { sleep, delays } = recordingSleep();
    server.faults.put.push({ kind: "expired" });
    const file = await writeTestFile(tmp.dir, "model.onnx", 5000);
    const result = await upload(file.path, { uploadUrl: server.uploadBase, path: "model.onnx", sleep });
    const urlRequests = server.log.filter((r) => r.url.startsWith("/upload_url/"));
    expect(urlRequests).toHaveLength(2);
    const [first, second] = puts();
    expect(first?.url).not.toBe(second?.url);
    expect(result.attempts).toBe(2);
    expect(delays).toEqual([]);
    expect(server.files.get("model.onnx")?.sha256).toBe(sha(file.bytes));
  });

  it("gives up with UPLOAD_EXPIRED when every fresh URL is refused as badly signed", async () => {
    server.faults.put.push({ kind: "bad-signature" }, { kind: "bad-signature" }, { kind: "bad-signature" });
    const file = await writeTestFile(tmp.dir, "model.onnx", 100);
    const err = (await upload(file.path, { uploadUrl: server.uploadBase, path: "model.onnx", maxUrlRefreshes: 2 }).catch((e: unknown) => e)) as StorageError;
    expect(err.code).toBe("UPLOAD_EXPIRED");
    expect(err.status).toBe(403);
    expect(err.message).toContain("SignatureDoesNotMatch");
    expect(server.log.filter((r) => r.url.startsWith("/upload_url/"))).toHaveLength(3);
  });

  it("reports another 4xx as UPLOAD_REJECTED with the status and an excerpt, without retrying", async () => {
    server.faults.put.push({ kind: "status", status: 413, body: "<Error><Code>EntityTooLarge</Code></Error>" });
    const file = await writeTestFile(tmp.dir, "model.onnx", 100);
    const err = (await upload(file.path, { uploadUrl: server.uploadBase, path: "model.onnx" }).catch((e: unknown) => e)) as StorageError;
    expect(err.code).toBe("UPLOAD_REJECTED");
    expect(err.status).toBe(413);
    expect(err.message).toContain("answered 413 after 1 attempt");
    expect(err.message).toContain("EntityTooLarge");
    expect(puts()).toHaveLength(1);
  });

  it("retries a connection reset in the middle of the PUT", async () => {
    const { sleep } = recordingSleep();
    const reasons: string[] = [];
    server.faults.put.push({ kind: "reset-after", bytes: 1_000_000 });
    const file = await writeTestFile(tmp.dir, "model.onnx", 4_000_000, 9);
    const result = await upload(file.path, { uploadUrl: server.uploadBase, path: "model.onnx", sleep, onRetry: (r) => reasons.push(r.reason) });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/ECONNRESET|EPIPE|UND_ERR_SOCKET/);
    expect(result.attempts).toBe(2);
    expect(server.files.get("model.onnx")?.sha256).toBe(sha(file.bytes));
    expect(result.sha256).toBe(sha(file.bytes));
  });

  it("fails with UPLOAD_URL_REQUEST_FAILED when the platform will not give a URL", async () => {
    const { sleep } = recordingSleep();
    for (let i = 0; i < 5; i++) server.faults.urlRequest.push({ kind: "status", status: 500 });
    const file = await writeTestFile(tmp.dir, "model.onnx", 100);
    const err = (await upload(file.path, { uploadUrl: `${server.uploadBase}?token=platform-secret`, path: "model.onnx", sleep }).catch(
      (e: unknown) => e,
    )) as StorageError;
    expect(err.code).toBe("UPLOAD_URL_REQUEST_FAILED");
    expect(err.message).toContain("answered 500 after 5 attempts");
    expect(err.message).not.toContain("platform-secret");
    expect(server.log[0]?.url).toBe("/upload_url/model.onnx?token=platform-secret");
  });

  it("refuses a file that grows while it is uploaded", async () => {
    const file = await writeTestFile(tmp.dir, "data.json", 3_000_000);
    let grown = false;
    const err = (await upload(file.path, {
      uploadUrl: server.uploadBase,
      path: "data.json",
      onProgress: (sent) => {
        if (sent > 0 && !grown) {
          grown = true;
          appendFileSync(file.path, "more rows");
        }
      },
    }).catch((e: unknown) => e)) as StorageError;
    expect(err.code).toBe("UPLOAD_FILE_UNREADABLE");
    expect(err.message).toContain("changed size");
    expect(server.files.has("data.json")).toBe(false);
  });

  it("fails with UPLOAD_FILE_UNREADABLE for a missing file, before any request", async () => {
    const err = (await upload(`${tmp.dir}/nope.onnx`, { uploadUrl: server.uploadBase, path: "model.onnx" }).catch((e: unknown) => e)) as StorageError;
    expect(err.code).toBe("UPLOAD_FILE_UNREADABLE");
    expect(server.log).toHaveLength(0);
  });
});
