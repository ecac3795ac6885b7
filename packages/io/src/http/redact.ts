import { redactUrl } from "@batchkit/manifest";

// Signed URLs are secrets: everything this package prints goes through redactUrl (from @batchkit/manifest,
// re-exported so @batchkit/upload needs no second dependency for it) or sanitizeExcerpt.
export { redactUrl };

const SECRET_PARAM = /([?&;\s"'>]|^)([\w.-]*(?:signature|sig|token|credential|expires|key|policy|x-amz-[\w-]*))=([^&\s"'<]*)/gi;
const ANY_URL = /https?:\/\/[^\s"'<>]+/gi;

/**
 * A short, printable excerpt of a response body with every trace of `url`'s query string removed:
 * S3-style error bodies echo the canonical request (and so the signature) back.
 */
export function sanitizeExcerpt(text: string, url: string | URL, maxChars = 300): string {
  let out = text;
  let search = "";
  try {
    search = new URL(String(url)).search;
  } catch {
    // Not parseable: the generic patterns below still apply.
  }
  if (search.length > 1) {
    out = out.split(search).join("?…").split(search.slice(1)).join("…");
    for (const part of search.slice(1).split("&")) {
      const eq = part.indexOf("=");
      const raw = eq === -1 ? "" : part.slice(eq + 1);
      for (const value of new Set([raw, safeDecode(raw)])) {
        if (value.length >= 4) out = out.split(value).join("…");
      }
    }
  }
  out = out.replace(ANY_URL, (u) => redactUrl(u));
  out = out.replace(SECRET_PARAM, (_m, pre: string, name: string) => `${pre}${name}=…`);
  out = out.replace(/\s+/g, " ").trim();
  return out.length > maxChars ? `${out.slice(0, maxChars)}…` : out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}
