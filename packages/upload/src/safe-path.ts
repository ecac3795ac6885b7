import { isAbsolute, relative, resolve, sep } from "node:path";
import { redactUrl } from "@batchkit/io";
import { StorageError } from "./storage-error.js";

/** Why `path` is not a safe relative storage path, or undefined when it is. */
export function unsafeReason(path: unknown): string | undefined {
  if (typeof path !== "string") return "it is not a string";
  if (path === "") return "it is empty";
  if (path.includes("\\")) return "it contains a backslash";
  if (path.startsWith("/")) return "it is absolute";
  if (/^[A-Za-z]:/.test(path)) return "it starts with a drive letter";
  // Control characters (NUL included) have no business in a file name and confuse logs.
  if (/[\u0000-\u001f\u007f]/.test(path)) return "it contains a control character";
  for (const segment of path.split("/")) {
    if (segment === "") return "it has an empty segment";
    if (segment === "." || segment === "..") return `it has a "${segment}" segment`;
  }
  return undefined;
}

/** Throws StorageError PATH_UNSAFE unless `path` is relative, without `..`/`.`/empty segments or backslashes. */
export function assertSafePath(path: string): void {
  const reason = unsafeReason(path);
  if (reason !== undefined) {
    const shown = typeof path === "string" ? JSON.stringify(path.slice(0, 200)) : String(path);
    throw new StorageError("PATH_UNSAFE", `Storage path ${shown} is refused: ${reason}`);
  }
}

/** `path` checked, returned as is: for code that wants the value. */
export function safeRelativePath(path: string): string {
  assertSafePath(path);
  return path;
}

/** `base + "/" + path` with each segment percent-encoded; a query string on `base` is kept where it belongs. */
export function storageUrl(base: string, path: string): string {
  assertSafePath(path);
  let url: URL;
  try {
    url = new URL(base);
  } catch (err) {
    throw new StorageError("BASE_URL_INVALID", `The storage base URL ${redactUrl(String(base))} is not an absolute URL`, { cause: err });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new StorageError("BASE_URL_INVALID", `The storage base URL ${redactUrl(url)} is not http(s)`);
  }
  const encoded = path.split("/").map(encodeURIComponent).join("/");
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${encoded}`;
  return url.href;
}

/** The absolute file for `dest`, which must stay inside `cwd` (the platform allows writes only there). */
export function resolveInside(cwd: string, dest: string): string {
  if (!isAbsolute(dest)) assertSafePath(dest.split(sep).join("/"));
  const root = resolve(cwd);
  const full = resolve(root, dest);
  const rel = relative(root, full);
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) {
    throw new StorageError("PATH_UNSAFE", `Destination ${JSON.stringify(dest)} is refused: it is not inside the working directory ${root}`);
  }
  return full;
}
