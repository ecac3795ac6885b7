import { HttpError, redactUrl, requestWithRetry, type HttpOptions } from "@batchkit/io";
import { storageUrl } from "./safe-path.js";
import { StorageError } from "./storage-error.js";
import { fromHttpError } from "./error-mapping.js";

/**
 * Ask the platform for a signed upload URL: GET `uploadUrl + "/" + path`. The answer may be the URL as
 * plain text, a JSON string or `{"url": ...}`; anything that is not an http(s) URL is refused.
 */
export async function requestUploadUrl(uploadUrl: string, path: string, options: HttpOptions = {}): Promise<string> {
  const endpoint = storageUrl(uploadUrl, path);
  const shown = redactUrl(endpoint);
  let text: string;
  try {
    const res = await requestWithRetry(endpoint, { ...options, method: "GET", maxResponseBytes: 64 * 1024 });
    text = res.body.toString("utf8");
  } catch (err) {
    if (err instanceof HttpError) {
      throw fromHttpError(err, "UPLOAD_URL_REQUEST_FAILED", `Asking for an upload URL for ${path} failed: ${err.message}`);
    }
    throw err;
  }
  const parsed = parseSignedUrl(text);
  if (!parsed.ok) {
    throw new StorageError("UPLOAD_URL_INVALID", `GET ${shown} answered, but not with an http(s) URL for ${path}: ${parsed.reason}`, {
      url: shown,
    });
  }
  return parsed.url;
}

/** Read the upload_url answer. Never echoes the body: it may be a secret even when malformed. */
export function parseSignedUrl(body: string): { ok: true; url: string } | { ok: false; reason: string } {
  const text = body.trim();
  let candidate: unknown = text;
  if (text.startsWith('"') || text.startsWith("{")) {
    try {
      candidate = JSON.parse(text);
    } catch {
      return { ok: false, reason: "the body looks like JSON but does not parse" };
    }
    if (candidate !== null && typeof candidate === "object" && !Array.isArray(candidate)) {
      const url = (candidate as Record<string, unknown>).url;
      if (typeof url !== "string") return { ok: false, reason: 'the JSON object has no "url" string' };
      candidate = url;
    }
  }
  if (typeof candidate !== "string") return { ok: false, reason: `the JSON value is a ${typeof candidate}, not a string` };
  const value = candidate.trim();
  if (value === "") return { ok: false, reason: "the body is empty" };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: `the text is not an absolute URL (${value.length} characters)` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ok: false, reason: `the URL's scheme is "${url.protocol}", not http: or https:` };
  }
  return { ok: true, url: url.href };
}
