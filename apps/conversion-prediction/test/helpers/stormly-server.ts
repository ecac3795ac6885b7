import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/**
 * A small local stand-in for the platform in tests, on 127.0.0.1 and a free port:
 *   GET  /datasets/<key>             a registered dataset body (query strings ignored, as slices are registered whole),
 *                                    or half of one and then silence (setStallingDataset)
 *   GET  /upload_url/<stage>/<path>  a signed storage URL as plain text
 *   PUT  /storage/<stage>/<path>?signature=...   stores the body under <root>/<stage>/<path>
 *   GET  /files/<stage>/<path>       a stored file, 404 when absent (downloadUrls[stage] = <base>/files/<stage>)
 */
export interface StormlyServer {
  base: string;
  root: string;
  requests: { method: string; url: string }[];
  setDataset(key: string, body: string | Buffer): void;
  /** A dataset that sends the first half of `body` and then nothing, until the client goes away. */
  setStallingDataset(key: string, body: string | Buffer): void;
  /** Resolves once a response with this dataset has been written out in full (all of it left the server). */
  datasetSent(key: string): Promise<void>;
  /** File downloads (the model) wait for `gate` before they are answered; undefined answers at once again. */
  holdFiles(gate: Promise<unknown> | undefined): void;
  dataUrl(key: string, query?: string): string;
  uploadUrl(stage: string): string;
  downloadUrl(stage: string): string;
  putFile(stage: string, path: string, bytes: Uint8Array | string): Promise<void>;
  readStored(stage: string, path: string): Promise<Buffer>;
  uploads(): string[];
  close(): Promise<void>;
}

export const signature = "signature=s3cr3t-token";

export async function startStormlyServer(): Promise<StormlyServer> {
  const root = await mkdtemp(join(tmpdir(), "conversion-prediction-storage-"));
  const datasets = new Map<string, Buffer>();
  const stalling = new Set<string>();
  const requests: { method: string; url: string }[] = [];
  const uploaded: string[] = [];
  const sent = new Map<string, () => void>();
  let filesGate: Promise<unknown> | undefined;
  let base = "";

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", base);
    requests.push({ method: req.method ?? "GET", url: url.pathname + url.search });
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const [kind, ...rest] = parts;
    if (req.method === "GET" && kind === "datasets" && rest.length === 1) {
      const body = datasets.get(rest[0]!);
      if (body === undefined) return send(res, 404, "no such dataset");
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      if (stalling.has(rest[0]!)) {
        res.write(body.subarray(0, body.length >> 1));
        return;
      }
      const onSent = sent.get(rest[0]!);
      if (onSent !== undefined) res.once("finish", onSent);
      res.end(body);
      return;
    }
    if (req.method === "GET" && kind === "upload_url" && rest.length >= 2) {
      const [stage, ...path] = rest;
      return send(res, 200, `${base}/storage/${stage}/${path.map(encodeURIComponent).join("/")}?${signature}`);
    }
    if (req.method === "PUT" && kind === "storage" && rest.length >= 2) {
      if (url.search !== `?${signature}`) return send(res, 403, "bad signature");
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const file = join(root, ...rest);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, Buffer.concat(chunks));
      uploaded.push(rest.join("/"));
      return send(res, 200, "");
    }
    if (req.method === "GET" && kind === "files" && rest.length >= 2) {
      if (filesGate !== undefined) await filesGate;
      try {
        const bytes = await readFile(join(root, ...rest));
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes.length });
        res.end(bytes);
      } catch {
        send(res, 404, "<Error><Code>NoSuchKey</Code></Error>");
      }
      return;
    }
    send(res, 404, "not found");
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, String(error)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    root,
    requests,
    setDataset: (key, body) => datasets.set(key, Buffer.isBuffer(body) ? body : Buffer.from(body)),
    setStallingDataset: (key, body) => {
      datasets.set(key, Buffer.isBuffer(body) ? body : Buffer.from(body));
      stalling.add(key);
    },
    datasetSent: (key) => new Promise<void>((resolve) => sent.set(key, resolve)),
    holdFiles: (gate) => {
      filesGate = gate;
    },
    dataUrl: (key, query) => `${base}/datasets/${encodeURIComponent(key)}${query === undefined ? "" : `?${query}`}`,
    uploadUrl: (stage) => `${base}/upload_url/${stage}`,
    downloadUrl: (stage) => `${base}/files/${stage}`,
    async putFile(stage, path, bytes) {
      const file = join(root, stage, path);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, bytes);
    },
    readStored: (stage, path) => readFile(join(root, stage, path)),
    uploads: () => [...uploaded],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

function send(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(body) });
  res.end(body);
}
