import type { HttpError } from "@batchkit/io";
import { StorageError, type StorageErrorCode } from "./storage-error.js";

/** Wrap an HttpError in the storage code that says which step failed; an abort stays an abort. */
export function fromHttpError(err: HttpError, code: StorageErrorCode, message: string): StorageError {
  const details: ConstructorParameters<typeof StorageError>[2] = { cause: err, url: err.url };
  if (err.status !== undefined) details.status = err.status;
  if (err.bodyExcerpt !== undefined) details.bodyExcerpt = err.bodyExcerpt;
  if (err.code === "HTTP_ABORTED") return new StorageError("STORAGE_ABORTED", err.message, details);
  return new StorageError(code, message, details);
}

// The emulator and S3 answer a stale signed URL with 403 and an XML body naming the reason.
const STALE_BODY = /Request has expired|\bexpired\b|ExpiredToken|SignatureDoesNotMatch|Signature.{0,20}(expired|not match)/i;

/** True when a 403's body says the signed URL is stale (expired, or its signature no longer matches). */
export function isStaleUrlAnswer(status: number | undefined, body: string | undefined): boolean {
  return status === 403 && body !== undefined && STALE_BODY.test(body);
}

/** "Code: Message" of an S3-style XML error, else the excerpt itself: what a person needs to read. */
export function storageSays(excerpt: string | undefined): string {
  if (excerpt === undefined || excerpt === "") return "";
  const code = /<Code>([^<]*)<\/Code>/.exec(excerpt)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(excerpt)?.[1];
  if (code !== undefined) return message !== undefined ? `${code}: ${message}` : code;
  return excerpt;
}
