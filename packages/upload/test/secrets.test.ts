import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { download, upload } from "../src/index.js";
import { recordingSleep, type StorageServer } from "./helpers/storage-server.js";
import { useStorageFixture, type TempDir } from "./helpers/storage-fixture.js";
import { writeTestFile } from "./helpers/temp-dir.js";

let server: StorageServer;
let tmp: TempDir;
useStorageFixture((s, t) => {
  server = s;
  tmp = t;
});

describe("no signed query string leaks", () => {
  it("in errors, retry notes or progress of failing uploads and downloads", async () => {
    const { sleep } = recordingSleep();
    const output: string[] = [];
    const common = {
      sleep,
      onRetry: (info: unknown) => output.push(JSON.stringify(info)),
    };
    const file = await writeTestFile(tmp.dir, "model.onnx", 2_000_000);

    // Upload: a failing URL request, a 503, a reset mid-PUT, then signatures refused until it gives up.
    server.faults.urlRequest.push({ kind: "status", status: 503 });
    server.faults.put.push({ kind: "status", status: 503 }, { kind: "reset-after", bytes: 500_000 }, { kind: "bad-signature" }, { kind: "bad-signature" });
    const upErr = await upload(file.path, {
      ...common,
      uploadUrl: `${server.uploadBase}?X-Project-Key=platform-key-123`,
      path: "model.onnx",
      maxUrlRefreshes: 1,
      onProgress: (sent, total) => output.push(`${sent}/${total}`),
    }).catch((e: unknown) => e);
    expect((upErr as { code: string }).code).toBe("UPLOAD_EXPIRED");

    // Downloads from a signed base URL: truncated every time, and missing.
    server.files.set("model.onnx", { bytes: Buffer.alloc(100_000, 1), sha256: "x", contentType: undefined });
    server.ranges = false;
    for (let i = 0; i < 2; i++) server.faults.download.push({ kind: "truncate-after", bytes: 1000 });
    const signedBase = `${server.downloadBase}?X-Amz-Expires=99&X-Amz-Signature=download-signature-456`;
    const truncErr = await download(signedBase, "model.onnx", "m.onnx", { ...common, cwd: tmp.dir, retry: { maxAttempts: 2 } }).catch((e: unknown) => e);
    expect((truncErr as { code: string }).code).toBe("DOWNLOAD_TRUNCATED");
    const missErr = await download(signedBase, "nope.onnx", "n.onnx", { ...common, cwd: tmp.dir, stage: "trainMore" }).catch((e: unknown) => e);
    expect((missErr as { code: string }).code).toBe("DOWNLOAD_NOT_FOUND");

    const secrets = new Set(["platform-key-123", "download-signature-456", "X-Amz-Signature=", "X-Amz-Expires="]);
    for (const r of server.log) {
      const q = new URL(r.url, server.url).searchParams;
      for (const v of q.values()) if (v.length >= 4) secrets.add(v);
    }
    // The server did see signed URLs, so the search below has something to find.
    expect(secrets.size).toBeGreaterThan(6);
    const text = [upErr, truncErr, missErr]
      .flatMap((e) => [inspect(e, { depth: 10 }), String((e as Error).message), JSON.stringify(e)])
      .concat(output)
      .join("\n");
    expect(output.some((l) => l.includes('"reason":"503"'))).toBe(true);
    for (const secret of secrets) expect(text, secret).not.toContain(secret);
  });
});
