export type HttpErrorCode =
  | "HTTP_STATUS"
  | "HTTP_NETWORK"
  | "HTTP_TIMEOUT"
  | "HTTP_TRUNCATED"
  | "HTTP_ABORTED"
  /** A restarted body differs from the first one (ETag, length or encoding changed): never mixed. */
  | "HTTP_BODY_CHANGED"
  /** The server answered in a way this client cannot use safely (bad Content-Range, unknown encoding). */
  | "HTTP_PROTOCOL"
  /** The URL is not an absolute http(s) URL; nothing was sent. */
  | "HTTP_INVALID_URL";

const HINTS: Record<HttpErrorCode, string> = {
  HTTP_STATUS: "Check that the URL is current and the service is up; a signed URL may have expired.",
  HTTP_NETWORK: "Check the network connection to the server and try again.",
  HTTP_TIMEOUT: "The server stopped responding; try again later or raise the timeout.",
  HTTP_TRUNCATED: "The server closed the response early; try again, and check the server or proxy logs.",
  HTTP_ABORTED: "The request was cancelled by the caller; nothing needs fixing unless that was unexpected.",
  HTTP_BODY_CHANGED: "The resource changed while it was being read; run the stage again.",
  HTTP_PROTOCOL: "The server's response could not be used; check the server or proxy in between.",
  HTTP_INVALID_URL: "Pass an absolute http:// or https:// URL, e.g. the one from the manifest.",
};

export interface HttpErrorDetails {
  url: string;
  attempts: number;
  status?: number;
  cause?: unknown;
  hint?: string;
  /** A short excerpt of the error response's body, with the URL's query string removed. */
  bodyExcerpt?: string;
  bytesReceived?: number;
  bytesExpected?: number;
}

/** Every failure of this package's HTTP layer. `url` is always redacted (no query string). */
export class HttpError extends Error {
  override readonly name = "HttpError";
  readonly code: HttpErrorCode;
  readonly url: string;
  readonly attempts: number;
  declare readonly status?: number;
  readonly hint: string;
  declare readonly bodyExcerpt?: string;
  declare readonly bytesReceived?: number;
  declare readonly bytesExpected?: number;

  constructor(code: HttpErrorCode, message: string, details: HttpErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.url = details.url;
    this.attempts = details.attempts;
    this.hint = details.hint ?? HINTS[code];
    if (details.status !== undefined) this.status = details.status;
    if (details.bodyExcerpt !== undefined) this.bodyExcerpt = details.bodyExcerpt;
    if (details.bytesReceived !== undefined) this.bytesReceived = details.bytesReceived;
    if (details.bytesExpected !== undefined) this.bytesExpected = details.bytesExpected;
  }
}

export function attemptsText(n: number): string {
  return n === 1 ? "1 attempt" : `${n} attempts`;
}

/** The URL as a string, or HttpError HTTP_INVALID_URL (0 attempts) when it is not absolute http(s). */
export function checkedUrl(url: string | URL, method: string, shown: string): string {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch (err) {
    throw new HttpError("HTTP_INVALID_URL", `${method} ${shown}: not an absolute URL`, { url: shown, attempts: 0, cause: err });
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new HttpError("HTTP_INVALID_URL", `${method} ${shown}: the scheme ${parsed.protocol} is not http: or https:`, { url: shown, attempts: 0 });
  }
  return parsed.href;
}
