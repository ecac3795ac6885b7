/**
 * Files between stages: signed PUTs into the work directory and plain GET downloads with Range support,
 * the way S3 answers them (XML errors, 411 without Content-Length, 206 for a range).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { s3ErrorXml, type UrlSigner } from "./signing.js";

/** Decodes and checks the segments of a storage key; null when any segment is unsafe. */
export function safeSegments(rawPath: string): string[] | null {
  const raw = rawPath.split("/");
  const out: string[] = [];
  for (const r of raw) {
    let s: string;
    try {
      s = decodeURIComponent(r);
    } catch {
      return null;
    }
    if (s === "" || s === "." || s === ".." || s.includes("/") || s.includes("\\") || s.includes("\0")) return null;
    out.push(s);
  }
  return out.length === 0 ? null : out;
}

function sendXml(res: ServerResponse, status: number, code: string, message: string): void {
  const body = s3ErrorXml(code, message);
  res.writeHead(status, { "Content-Type": "application/xml", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

export class Storage {
  readonly root: string;
  private readonly signer: UrlSigner;

  constructor(root: string, signer: UrlSigner) {
    this.root = root;
    this.signer = signer;
  }

  filePath(segments: readonly string[]): string {
    return join(this.root, ...segments);
  }

  /** PUT /storage/<key>?X-Amz-...: verify, require Content-Length, write to a temp file, rename. Returns the file stored, or null. */
  async handlePut(req: IncomingMessage, res: ServerResponse, urlPath: string, query: URLSearchParams, key: string): Promise<string | null> {
    const check = this.signer.verify("PUT", urlPath, query);
    if (!check.ok) {
      req.resume();
      sendXml(res, 403, check.code, check.message);
      return null;
    }
    const segments = safeSegments(key);
    if (segments === null) {
      req.resume();
      sendXml(res, 400, "InvalidArgument", "Unsafe object key");
      return null;
    }
    const lengthHeader = req.headers["content-length"];
    if (lengthHeader === undefined || !/^\d+$/.test(lengthHeader)) {
      req.resume();
      sendXml(res, 411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
      return null;
    }
    const expected = Number(lengthHeader);
    const dest = this.filePath(segments);
    await mkdir(dirname(dest), { recursive: true });
    const temp = `${dest}.upload-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try {
      await pipeline(req, createWriteStream(temp));
      const written = (await stat(temp)).size;
      if (written !== expected) {
        await rm(temp, { force: true });
        sendXml(res, 400, "IncompleteBody", `You did not provide the number of bytes specified by the Content-Length HTTP header (${written} of ${expected}).`);
        return null;
      }
      await rename(temp, dest);
    } catch {
      // The client went away mid-upload: keep nothing of it.
      await rm(temp, { force: true });
      if (!res.headersSent && !res.destroyed) sendXml(res, 400, "IncompleteBody", "The upload did not complete.");
      return null;
    }
    res.writeHead(200, { ETag: `"${expected}"`, "Content-Length": 0 });
    res.end();
    return dest;
  }

  /** GET /api/storage/<key>: 404 when missing, Range answered with 206. */
  async handleGet(req: IncomingMessage, res: ServerResponse, key: string, onBody?: (size: number) => { resetAt?: number; stallMs?: number }): Promise<void> {
    const segments = safeSegments(key);
    if (segments === null) {
      sendXml(res, 400, "InvalidArgument", "Unsafe object key");
      return;
    }
    const path = this.filePath(segments);
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new Error("not a file");
      size = info.size;
    } catch {
      sendXml(res, 404, "NoSuchKey", "The specified key does not exist.");
      return;
    }
    let start = 0;
    let end = size - 1;
    const range = req.headers.range;
    res.setHeader("Accept-Ranges", "bytes");
    res.setHeader("Content-Type", "application/octet-stream");
    if (range !== undefined) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      const a = m?.[1] ?? "";
      const b = m?.[2] ?? "";
      if (m === null || (a === "" && b === "")) {
        res.setHeader("Content-Range", `bytes */${size}`);
        sendXml(res, 416, "InvalidRange", "The requested range is not satisfiable");
        return;
      }
      if (a === "") {
        start = Math.max(0, size - Number(b));
      } else {
        start = Number(a);
        end = b === "" ? size - 1 : Math.min(size - 1, Number(b));
      }
      if (start >= size || start > end) {
        res.setHeader("Content-Range", `bytes */${size}`);
        sendXml(res, 416, "InvalidRange", "The requested range is not satisfiable");
        return;
      }
      res.statusCode = 206;
      res.setHeader("Content-Range", `bytes ${start}-${end}/${size}`);
    } else {
      res.statusCode = 200;
    }
    const length = end - start + 1;
    res.setHeader("Content-Length", String(length));
    if (req.method === "HEAD" || length === 0) {
      res.end();
      return;
    }
    const fault = onBody?.(length) ?? {};
    const stream = createReadStream(path, { start, end });
    if (fault.resetAt === undefined && fault.stallMs === undefined) {
      await pipeline(stream, res).catch(() => res.destroy());
      return;
    }
    let sent = 0;
    let stalled = false;
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (fault.resetAt !== undefined && sent + chunk.length > fault.resetAt) {
          res.write(chunk.subarray(0, fault.resetAt - sent));
          await new Promise((r) => setTimeout(r, 20));
          req.socket.destroy();
          stream.destroy();
          return;
        }
        if (fault.stallMs !== undefined && !stalled && sent + chunk.length > length / 2) {
          stalled = true;
          await new Promise((r) => setTimeout(r, fault.stallMs));
        }
        sent += chunk.length;
        if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
      }
      res.end();
    } catch {
      res.destroy();
    }
  }
}
