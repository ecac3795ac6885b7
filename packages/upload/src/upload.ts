import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { HttpError, redactUrl, requestWithRetry, type HttpOptions } from "@batchkit/io";
import { contentTypeFor } from "./content-type.js";
import { fromHttpError, isStaleUrlAnswer, storageSays } from "./error-mapping.js";
import { assertSafePath } from "./safe-path.js";
import { requestUploadUrl } from "./signed-url.js";
import { StorageError } from "./storage-error.js";

export interface UploadOptions extends HttpOptions {
  /** getUploadUrls[stage] from the manifest. `headers` are sent to it, not to the signed storage URL. */
  uploadUrl: string;
  /** Relative storage path, e.g. "model.onnx". */
  path: string;
  /** Default: by the path's extension. */
  contentType?: string;
  /** Bytes of the current attempt sent so far and the file's size; starts again at 0 on a retry. */
  onProgress?: (sent: number, total: number) => void;
  /** How often a stale signed URL (403 expired / signature mismatch) is replaced by a fresh one. Default 2. */
  maxUrlRefreshes?: number;
}

export interface UploadResult {
  bytes: number;
  /** Hex sha256 of the bytes the storage accepted. */
  sha256: string;
  /** PUT attempts in all, across URL refreshes. */
  attempts: number;
  /** The signed URL used, redacted. */
  url: string;
}

const READ_CHUNK = 1024 * 1024;

/**
 * Upload `file` to the platform's storage under `path`: ask for a signed URL, then PUT the file with an
 * explicit Content-Length. The body is re-read from disk for every attempt, so memory stays flat.
 */
export async function upload(file: string, options: UploadOptions): Promise<UploadResult> {
  const { uploadUrl, path, contentType, onProgress, maxUrlRefreshes = 2, headers, ...http } = options;
  assertSafePath(path);
  const size = await fileSize(file);
  const type = contentType ?? contentTypeFor(path);
  let attempts = 0;

  for (let refresh = 0; ; refresh++) {
    const urlOptions: HttpOptions = headers === undefined ? http : { ...http, headers };
    const signed = await requestUploadUrl(uploadUrl, path, urlOptions);
    let current: { hash: Hash; sent: number } | undefined;
    try {
      const res = await requestWithRetry(signed, {
        ...http,
        method: "PUT",
        headers: { "content-length": String(size), "content-type": type },
        body: () => {
          const state = { hash: createHash("sha256"), sent: 0 };
          current = state;
          // A byte stream (not object mode) so undici streams it with backpressure under the fixed length.
          return Readable.from(readFile(file, size, state, onProgress), { objectMode: false, highWaterMark: READ_CHUNK });
        },
        maxResponseBytes: 64 * 1024,
      });
      attempts += res.attempts;
      // A server may answer before reading everything; then the digest comes from the file itself.
      const sha256 = current && current.sent === size ? current.hash.digest("hex") : await sha256Of(file);
      return { bytes: size, sha256, attempts, url: redactUrl(signed) };
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      attempts += err.attempts;
      if (isStaleUrlAnswer(err.status, err.bodyExcerpt)) {
        if (refresh < maxUrlRefreshes) continue;
        throw fromHttpError(
          err,
          "UPLOAD_EXPIRED",
          `Uploading ${path} to ${err.url} was refused as expired or badly signed (403) after ${refresh + 1} signed URL(s)` +
            (err.bodyExcerpt ? `: ${storageSays(err.bodyExcerpt)}` : ""),
        );
      }
      if (err.code === "HTTP_STATUS") {
        throw fromHttpError(
          err,
          "UPLOAD_REJECTED",
          `Uploading ${path}: ${err.message}` + (err.bodyExcerpt ? `; the storage said: ${storageSays(err.bodyExcerpt)}` : ""),
        );
      }
      if (errorCode(err.cause) === "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH") {
        throw new StorageError("UPLOAD_FILE_UNREADABLE", `Cannot upload ${file}: it changed size while it was being uploaded`, {
          cause: err,
          hint: "Upload a file only after the stage has finished writing it.",
        });
      }
      throw fromHttpError(err, "UPLOAD_FAILED", `Uploading ${path} (${size} bytes) failed: ${err.message}`);
    }
  }
}

function errorCode(err: unknown): string | undefined {
  return err !== null && typeof err === "object" && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a regular file");
    return info.size;
  } catch (err) {
    throw new StorageError("UPLOAD_FILE_UNREADABLE", `Cannot upload ${file}: ${(err as Error).message}`, { cause: err });
  }
}

async function* readFile(
  file: string,
  size: number,
  state: { hash: Hash; sent: number },
  onProgress: ((sent: number, total: number) => void) | undefined,
): AsyncGenerator<Buffer> {
  onProgress?.(0, size);
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) {
    state.hash.update(chunk);
    state.sent += chunk.length;
    yield chunk;
    onProgress?.(state.sent, size);
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK }) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}
