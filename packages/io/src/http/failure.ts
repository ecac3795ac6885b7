import { HttpError, type HttpErrorCode } from "./http-error.js";

// What a failed attempt was, in the terms the retry loop needs.
export interface Failure {
  code: HttpErrorCode;
  reason: string;
  retryable: boolean;
  cause: unknown;
  /** Words for the final message when the code alone would not say what happened. */
  detail?: string;
}

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "ETIMEDOUT"]);
// Errors that mean "the peer went away before the body was complete".
const CLOSED_CODES = new Set(["UND_ERR_SOCKET", "UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "Z_BUF_ERROR", "ERR_STREAM_PREMATURE_CLOSE"]);
// Programming or configuration errors: retrying cannot help.
const FATAL_CODES = new Set([
  "UND_ERR_INVALID_ARG",
  "UND_ERR_NOT_SUPPORTED",
  "UND_ERR_REQ_CONTENT_LENGTH_MISMATCH",
  "ERR_INVALID_URL",
  "ERR_INVALID_ARG_TYPE",
  // A request body read from a file that is gone or unreadable: the next attempt would fail the same way.
  "ENOENT",
  "EACCES",
  "EISDIR",
  "EPERM",
]);

export function errorCode(err: unknown): string | undefined {
  if (err && typeof err === "object" && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}

/** Classify an error thrown by undici, zlib or the socket during one attempt. */
export function classifyError(err: unknown, midBody: boolean): Failure {
  if (err instanceof HttpError) {
    return { code: err.code, reason: err.code, retryable: err.code === "HTTP_TRUNCATED", cause: err.cause ?? err };
  }
  const code = errorCode(err) ?? (err instanceof Error ? err.name : "UNKNOWN");
  if (TIMEOUT_CODES.has(code)) return { code: "HTTP_TIMEOUT", reason: code, retryable: true, cause: err };
  if (FATAL_CODES.has(code)) return { code: "HTTP_NETWORK", reason: code, retryable: false, cause: err };
  if (code === "Z_BUF_ERROR") {
    // zlib's "unexpected end of file": the compressed stream stopped before its end marker.
    return { code: "HTTP_TRUNCATED", reason: code, retryable: true, cause: err };
  }
  if (code.startsWith("Z_") || code.startsWith("ERR__ERROR_FORMAT") || code.startsWith("ERR_BROTLI")) {
    // A corrupt compressed body (a flaky proxy, a bad cache) is worth another try.
    return { code: "HTTP_PROTOCOL", reason: code, retryable: true, cause: err, detail: "the compressed body could not be decoded" };
  }
  if (midBody && CLOSED_CODES.has(code)) return { code: "HTTP_TRUNCATED", reason: code, retryable: true, cause: err };
  return { code: "HTTP_NETWORK", reason: code, retryable: true, cause: err };
}
