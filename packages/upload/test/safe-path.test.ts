import { describe, expect, it } from "vitest";
import { StorageError, assertSafePath, download, safeRelativePath, storageUrl, upload } from "../src/index.js";
import type { StorageServer } from "./helpers/storage-server.js";
import { useStorageFixture, type TempDir } from "./helpers/storage-fixture.js";
import { writeTestFile } from "./helpers/temp-dir.js";

const unsafe = [
  "",
  "/etc/passwd",
  "../model.onnx",
  "a/../../b",
  "a/./b",
  ".",
  "..",
  "a//b",
  "a/",
  "dir\\model.onnx",
  "C:/model.onnx",
  "c:model.onnx",
  "a\u0000b",
  "line\nbreak",
];

describe("storage paths", () => {
  it.each(unsafe)("refuses %j", (path) => {
    expect(() => assertSafePath(path)).toThrow(StorageError);
    try {
      assertSafePath(path);
    } catch (err) {
      expect((err as StorageError).code).toBe("PATH_UNSAFE");
    }
  });

  it("accepts plain relative paths", () => {
    for (const path of ["model.onnx", "a/b/c.json", "with space/ü.bin", "..hidden", "a.b..c"]) {
      expect(safeRelativePath(path)).toBe(path);
    }
  });

  it("joins segments percent-encoded and keeps the base's query", () => {
    expect(storageUrl("http://h/base/?k=1", "a b/c#d.json")).toBe("http://h/base/a%20b/c%23d.json?k=1");
    expect(storageUrl("http://h", "x")).toBe("http://h/x");
  });

  it("refuses a base URL that is not absolute http(s), without echoing its query", () => {
    for (const base of ["", "relative/path?sig=s3cret", "file:///etc?sig=s3cret"]) {
      try {
        storageUrl(base, "x");
        expect.unreachable();
      } catch (err) {
        expect((err as StorageError).code).toBe("BASE_URL_INVALID");
        expect((err as StorageError).message).not.toContain("s3cret");
      }
    }
  });
});

describe("upload and download refuse unsafe paths before any request", () => {
  let server: StorageServer;
  let tmp: TempDir;
  useStorageFixture((s, t) => {
    server = s;
    tmp = t;
  });

  it("every unsafe path, both ways", async () => {
    const file = await writeTestFile(tmp.dir, "f.bin", 10);
    for (const path of unsafe) {
      const up = await upload(file.path, { uploadUrl: server.uploadBase, path }).catch((e: unknown) => e);
      expect((up as StorageError).code).toBe("PATH_UNSAFE");
      const down = await download(server.downloadBase, path, "ok.bin", { cwd: tmp.dir }).catch((e: unknown) => e);
      expect((down as StorageError).code).toBe("PATH_UNSAFE");
    }
    expect(server.log).toHaveLength(0);
  });

  it("refuses a destination outside the working directory", async () => {
    for (const dest of ["../escape.bin", "/tmp/escape.bin", "a/../../escape.bin", ""]) {
      const err = await download(server.downloadBase, "f.bin", dest, { cwd: tmp.dir }).catch((e: unknown) => e);
      expect((err as StorageError).code).toBe("PATH_UNSAFE");
    }
    expect(server.log).toHaveLength(0);
  });
});
