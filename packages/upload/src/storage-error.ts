export type StorageErrorCode =
  | "PATH_UNSAFE"
  | "BASE_URL_INVALID"
  | "UPLOAD_FILE_UNREADABLE"
  | "UPLOAD_URL_REQUEST_FAILED"
  | "UPLOAD_URL_INVALID"
  | "UPLOAD_REJECTED"
  | "UPLOAD_EXPIRED"
  | "UPLOAD_FAILED"
  | "DOWNLOAD_NOT_FOUND"
  | "DOWNLOAD_TRUNCATED"
  | "DOWNLOAD_TOO_LARGE"
  | "DOWNLOAD_FAILED"
  | "DOWNLOAD_WRITE_FAILED"
  | "STORAGE_ABORTED";

const TEXT: Record<StorageErrorCode, { title: string; hint: string }> = {
  PATH_UNSAFE: {
    title: "Unsafe storage path",
    hint: "Use a relative path of plain segments separated by '/', without '..', '.', backslashes or empty segments.",
  },
  BASE_URL_INVALID: {
    title: "Invalid storage URL",
    hint: "Pass the manifest's getUploadUrls[stage] or downloadUrls[stage] value: an absolute http(s) URL.",
  },
  UPLOAD_FILE_UNREADABLE: { title: "File to upload not readable", hint: "Check that the stage wrote the file before uploading it." },
  UPLOAD_URL_REQUEST_FAILED: {
    title: "Could not get an upload URL",
    hint: "Check that getUploadUrls has this stage's key and that the platform is reachable, then run the stage again.",
  },
  UPLOAD_URL_INVALID: {
    title: "Invalid upload URL",
    hint: "The platform's upload_url answer must be an http(s) URL as plain text, a JSON string or {\"url\": ...}.",
  },
  UPLOAD_REJECTED: { title: "Upload rejected", hint: "Read the storage's answer above; check the file's size and type." },
  UPLOAD_EXPIRED: {
    title: "Upload URL expired",
    hint: "The signed URL stayed stale after fresh ones were requested; check the machine's clock and run the stage again.",
  },
  UPLOAD_FAILED: { title: "Upload failed", hint: "Check the network connection to the storage and run the stage again." },
  DOWNLOAD_NOT_FOUND: {
    title: "File not found in storage",
    hint: "Make sure the earlier stage uploaded the file under exactly this path, and that it succeeded.",
  },
  DOWNLOAD_TRUNCATED: { title: "Download incomplete", hint: "The storage ended the file early; run the stage again." },
  DOWNLOAD_TOO_LARGE: { title: "Download too large", hint: "The file is larger than allowed; check what the earlier stage uploaded." },
  DOWNLOAD_FAILED: { title: "Download failed", hint: "Check the network connection to the storage and run the stage again." },
  DOWNLOAD_WRITE_FAILED: { title: "Could not save the download", hint: "Check free disk space and permissions of the working directory." },
  STORAGE_ABORTED: { title: "Transfer cancelled", hint: "The stage was cancelled; nothing needs fixing unless that was unexpected." },
};

export interface StorageErrorDetails {
  cause?: unknown;
  /** Redacted URL (no query string). */
  url?: string;
  status?: number;
  /** Short, redacted excerpt of the storage's answer. */
  bodyExcerpt?: string;
  hint?: string;
}

/** Every failure of @batchkit/upload. Messages never contain a signed URL's query string. */
export class StorageError extends Error {
  override readonly name = "StorageError";
  readonly code: StorageErrorCode;
  readonly title: string;
  readonly hint: string;
  declare readonly url?: string;
  declare readonly status?: number;
  declare readonly bodyExcerpt?: string;

  constructor(code: StorageErrorCode, message: string, details: StorageErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.title = TEXT[code].title;
    this.hint = details.hint ?? TEXT[code].hint;
    if (details.url !== undefined) this.url = details.url;
    if (details.status !== undefined) this.status = details.status;
    if (details.bodyExcerpt !== undefined) this.bodyExcerpt = details.bodyExcerpt;
  }
}
