import type { IncomingMessage, ServerResponse } from "node:http";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";

export interface ServeOptions {
  etag?: string;
  lastModified?: string;
  /** Honour Range/If-Range and advertise Accept-Ranges. */
  ranges?: boolean;
  encoding?: "gzip" | "deflate" | "br";
  /** Send the encoded bytes without Content-Length (chunked). */
  chunked?: boolean;
  // The three faults below count bytes of this response's payload (encoded, partial); a value below 1 is a
  // fraction of that payload, so a generated fault always falls inside the body whatever the encoding.
  /** Close the connection (reset) after this many bytes of this response's body. */
  resetAfter?: number;
  /** End the response cleanly after this many bytes though Content-Length promised more. */
  truncateAfter?: number;
  /** Stop sending after this many bytes and go silent (an idle stall). */
  stallAfter?: number;
  /** Piece size for writes. */
  piece?: number;
}

export function encode(data: Buffer, encoding: ServeOptions["encoding"]): Buffer {
  if (encoding === "gzip") return gzipSync(data);
  if (encoding === "deflate") return deflateSync(data);
  if (encoding === "br") return brotliCompressSync(data);
  return data;
}

/** Serve `data` like a static file server would, with the failures a test asks for. */
export async function serveBytes(req: IncomingMessage, res: ServerResponse, data: Buffer, o: ServeOptions = {}): Promise<void> {
  const accepts = String(req.headers["accept-encoding"] ?? "");
  const encoding = o.encoding && accepts.includes(o.encoding) ? o.encoding : undefined;
  let payload = encoding ? encode(data, encoding) : data;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (o.etag) headers.etag = o.etag;
  if (o.lastModified) headers["last-modified"] = o.lastModified;
  if (encoding) headers["content-encoding"] = encoding;
  let status = 200;
  if (o.ranges && !encoding) {
    headers["accept-ranges"] = "bytes";
    const range = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
    const ifRange = req.headers["if-range"];
    if (range && (ifRange === undefined || ifRange === (o.etag ?? o.lastModified))) {
      const start = Number(range[1]);
      status = 206;
      headers["content-range"] = `bytes ${start}-${data.length - 1}/${data.length}`;
      payload = data.subarray(start);
    }
  }
  if (!o.chunked) headers["content-length"] = String(payload.length);
  res.writeHead(status, headers);
  const at = (v: number | undefined): number => (v === undefined ? Infinity : v < 1 ? Math.floor(v * payload.length) : v);
  const [resetAt, truncateAt, stallAt] = [at(o.resetAfter), at(o.truncateAfter), at(o.stallAfter)];
  const stopAt = Math.min(resetAt, truncateAt, stallAt, payload.length);
  const piece = o.piece ?? 16 * 1024;
  for (let off = 0; off < stopAt; off += piece) {
    const chunk = payload.subarray(off, Math.min(stopAt, off + piece));
    if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
  }
  if (stopAt === payload.length) {
    res.end();
    return;
  }
  await new Promise((r) => setTimeout(r, 20));
  if (stopAt === resetAt) res.socket?.resetAndDestroy();
  else if (stopAt === truncateAt) res.socket?.end();
  // A stall: write nothing more; the client's idle timeout must fire. The test server's close() frees it.
}
