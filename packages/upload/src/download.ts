import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { HttpError, openBody, type HttpOptions } from "@batchkit/io";
import { fromHttpError } from "./error-mapping.js";
import { resolveInside, storageUrl } from "./safe-path.js";
import { StorageError } from "./storage-error.js";

export interface DownloadOptions extends HttpOptions {
  /** The stage that uploaded the file (the downloadUrls key), named in the 404 message. */
  stage?: string;
  /** Refuse a file larger than this many bytes. */
  maxBytes?: number;
  /** Downloads land only inside this directory. Default process.cwd(). */
  cwd?: string;
}

export interface DownloadResult {
  /** Absolute path of the file written. */
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Download `baseUrl + "/" + path` (baseUrl = downloadUrls[stage]) to `dest` inside the working directory:
 * written to a temp file beside it and renamed, so `dest` is either complete or untouched.
 */
export async function download(baseUrl: string, path: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const { stage, maxBytes, cwd = process.cwd(), ...http } = options;
  const url = storageUrl(baseUrl, path);
  const target = resolveInside(cwd, dest);
  const tooLarge = (bytes: number): StorageError =>
    new StorageError("DOWNLOAD_TOO_LARGE", `${path} is larger than the allowed ${maxBytes} bytes (${bytes} bytes)`);

  const body = openBody(url, {
    ...http,
    onResponse: (info) => {
      if (maxBytes !== undefined && info.totalBytes !== undefined && info.totalBytes > maxBytes) throw tooLarge(info.totalBytes);
    },
  });
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.part`);
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    await mkdir(dirname(target), { recursive: true });
    const handle = await open(temp, "wx");
    try {
      for await (const chunk of body) {
        bytes += chunk.length;
        if (maxBytes !== undefined && bytes > maxBytes) throw tooLarge(bytes);
        hash.update(chunk);
        await writeAll(handle, chunk);
      }
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    throw mapDownloadError(err, path, stage, bytes);
  }
  return { path: target, bytes, sha256: hash.digest("hex") };
}

async function writeAll(handle: import("node:fs/promises").FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

function mapDownloadError(err: unknown, path: string, stage: string | undefined, bytes: number): unknown {
  if (err instanceof StorageError) return err;
  if (!(err instanceof HttpError)) {
    return new StorageError("DOWNLOAD_WRITE_FAILED", `Saving ${path} failed after ${bytes} bytes: ${(err as Error).message}`, { cause: err });
  }
  if (err.code === "HTTP_STATUS" && err.status === 404) {
    const who = stage === undefined ? "The earlier stage" : stage;
    return fromHttpError(err, "DOWNLOAD_NOT_FOUND", `${who} did not upload ${path}: GET ${err.url} answered 404`);
  }
  if (err.code === "HTTP_TRUNCATED") return fromHttpError(err, "DOWNLOAD_TRUNCATED", `Downloading ${path} was incomplete: ${err.message}`);
  return fromHttpError(err, "DOWNLOAD_FAILED", `Downloading ${path} failed: ${err.message}`);
}
