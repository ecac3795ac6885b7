import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

// A small stand-in for the platform's storage, close to what the emulator does: upload_url answers a URL
// signed with an HMAC and an expiry; PUT checks them and answers S3-style XML errors.

export type Fault =
  | { kind: "status"; status: number; headers?: Record<string, string>; body?: string }
  | { kind: "expired" }
  | { kind: "bad-signature" }
  | { kind: "reset-after"; bytes: number }
  | { kind: "truncate-after"; bytes: number };

export interface StoredFile {
  bytes: Buffer;
  sha256: string;
  contentType: string | undefined;
}

export interface StorageServer {
  url: string;
  /** getUploadUrls[stage]-style base */
  uploadBase: string;
  /** downloadUrls[stage]-style base */
  downloadBase: string;
  files: Map<string, StoredFile>;
  log: { method: string; url: string; headers: IncomingMessage["headers"] }[];
  /** Faults for the next upload_url GETs, PUTs and downloads, consumed in order. */
  faults: { urlRequest: Fault[]; put: Fault[]; download: Fault[] };
  /** How upload_url answers: plain text, a JSON string or {"url": ...}; or a fixed raw body. */
  answer: { format: "plain" | "json-string" | "json-object" } | { raw: string };
  /** Whether downloads honour Range (with an ETag to use in If-Range). */
  ranges: boolean;
  close(): Promise<void>;
}

const SECRET = "test-secret";

function sign(path: string, expires: number): string {
  return createHmac("sha256", SECRET).update(`${path}\n${expires}`).digest("hex");
}

function s3Error(res: ServerResponse, status: number, code: string, message: string, extra = ""): void {
  res.writeHead(status, { "content-type": "application/xml" });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}</Error>`);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}

export async function startStorageServer(): Promise<StorageServer> {
  const sockets = new Set<Socket>();
  let signedCount = 0;
  const state: Omit<StorageServer, "url" | "uploadBase" | "downloadBase" | "close"> = {
    files: new Map(),
    log: [],
    faults: { urlRequest: [], put: [], download: [] },
    answer: { format: "plain" },
    ranges: true,
  };
  let base = "";

  const server = createServer((req, res) => {
    state.log.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    handle(req, res).catch((err: unknown) => res.destroy(err as Error));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", base);
    if (req.method === "GET" && url.pathname.startsWith("/upload_url/")) {
      const fault = state.faults.urlRequest.shift();
      if (fault?.kind === "status") {
        res.writeHead(fault.status, fault.headers).end(fault.body ?? "");
        return;
      }
      const path = url.pathname.slice("/upload_url/".length);
      signedCount++;
      // The expiry differs per URL, so a fresh URL has a different signature.
      const expires = Math.floor(Date.now() / 1000) + 3600 + signedCount;
      const signed = `${base}/store/${path}?X-Amz-Expires=${expires}&X-Amz-Signature=${sign(path, expires)}`;
      const a = state.answer;
      const body = "raw" in a ? a.raw : a.format === "plain" ? `${signed}\n` : a.format === "json-string" ? JSON.stringify(signed) : JSON.stringify({ url: signed });
      res.writeHead(200, { "content-type": "raw" in a || a.format === "plain" ? "text/plain" : "application/json" }).end(body);
      return;
    }
    if (req.method === "PUT" && url.pathname.startsWith("/store/")) {
      const path = url.pathname.slice("/store/".length);
      const expires = Number(url.searchParams.get("X-Amz-Expires"));
      const signature = url.searchParams.get("X-Amz-Signature") ?? "";
      const fault = state.faults.put.shift();
      if (fault?.kind === "reset-after") {
        let seen = 0;
        for await (const c of req as AsyncIterable<Buffer>) {
          seen += c.length;
          if (seen >= fault.bytes) break;
        }
        req.socket.resetAndDestroy();
        return;
      }
      const body = await readBody(req);
      if (fault?.kind === "status") {
        res.writeHead(fault.status, fault.headers).end(fault.body ?? "");
        return;
      }
      if (fault?.kind === "expired" || expires * 1000 < Date.now()) {
        s3Error(res, 403, "AccessDenied", "Request has expired", `<X-Amz-Expires>${expires}</X-Amz-Expires><RequestId>1</RequestId>`);
        return;
      }
      if (fault?.kind === "bad-signature" || signature !== sign(path, expires)) {
        // Like S3, echo what was signed: the test checks that none of it reaches a message.
        s3Error(res, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.",
          `<StringToSign>${path} ${expires}</StringToSign><SignatureProvided>${signature}</SignatureProvided>`);
        return;
      }
      if (req.headers["content-length"] === undefined || req.headers["transfer-encoding"] !== undefined) {
        s3Error(res, 411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
        return;
      }
      if (Number(req.headers["content-length"]) !== body.length) {
        s3Error(res, 400, "IncompleteBody", "The request body is shorter than Content-Length.");
        return;
      }
      state.files.set(decodeURIComponent(path), {
        bytes: body,
        sha256: createHash("sha256").update(body).digest("hex"),
        contentType: req.headers["content-type"],
      });
      res.writeHead(200, { etag: `"${createHash("md5").update(body).digest("hex")}"` }).end();
      return;
    }
    if (req.method === "GET" && url.pathname.startsWith("/files/")) {
      const file = state.files.get(decodeURIComponent(url.pathname.slice("/files/".length)));
      const fault = state.faults.download.shift();
      if (fault?.kind === "status") {
        res.writeHead(fault.status, fault.headers).end(fault.body ?? "");
        return;
      }
      if (!file) {
        s3Error(res, 404, "NoSuchKey", "The specified key does not exist.");
        return;
      }
      const etag = `"${file.sha256.slice(0, 16)}"`;
      let payload = file.bytes;
      const headers: Record<string, string> = { etag, "content-type": file.contentType ?? "application/octet-stream" };
      let status = 200;
      if (state.ranges) {
        headers["accept-ranges"] = "bytes";
        const m = /^bytes=(\d+)-$/.exec(String(req.headers.range ?? ""));
        if (m && req.headers["if-range"] === etag) {
          const start = Number(m[1]);
          payload = file.bytes.subarray(start);
          status = 206;
          headers["content-range"] = `bytes ${start}-${file.bytes.length - 1}/${file.bytes.length}`;
        }
      }
      headers["content-length"] = String(payload.length);
      res.writeHead(status, headers);
      const cut = fault?.kind === "reset-after" || fault?.kind === "truncate-after" ? Math.min(fault.bytes, payload.length) : payload.length;
      for (let off = 0; off < cut; off += 16 * 1024) {
        if (!res.write(payload.subarray(off, Math.min(cut, off + 16 * 1024)))) await new Promise((r) => res.once("drain", r));
      }
      if (cut === payload.length) {
        res.end();
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
      if (fault?.kind === "reset-after") res.socket?.resetAndDestroy();
      else res.socket?.end();
      return;
    }
    res.writeHead(400).end("unexpected request");
  }

  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return Object.assign(state, {
    url: base,
    uploadBase: `${base}/upload_url`,
    downloadBase: `${base}/files`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  });
}

export function recordingSleep(): { sleep: (ms: number, signal?: AbortSignal) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number, signal?: AbortSignal) => {
      delays.push(ms);
      if (signal?.aborted) throw signal.reason;
    },
  };
}
