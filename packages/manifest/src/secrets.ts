/**
 * Signed URLs are secrets: their query string carries the signature. Everything that may reach a log, an
 * error message or results.json goes through these helpers.
 */

/** Origin and path of a URL, with any query string replaced by `?…` and any credentials dropped. */
export function redactUrl(url: string | URL): string {
  const text = typeof url === "string" ? url : url.href;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    // Not an absolute URL: cut at the first "?" or "#" all the same.
    const cut = text.search(/[?#]/);
    return cut === -1 ? text : `${text.slice(0, cut)}${text[cut] === "?" ? "?…" : ""}`;
  }
  const query = parsed.search.length > 1 ? "?…" : "";
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${query}`;
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s"'<>`]+/gi;

/** Replaces every http(s) URL inside free text by its redacted form. */
export function redactText(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => redactUrl(match));
}
