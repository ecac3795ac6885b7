import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
}

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  requests: RecordedRequest[];
  /** Connections still open (a consumer that stops early must free its connection). */
  openSockets: () => number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void | Promise<void>;

/** A real node:http server on 127.0.0.1, port 0; `index` counts requests from 0. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const index = requests.length;
    requests.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    Promise.resolve(handler(req, res, index)).catch((err: unknown) => {
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A sleep that returns at once and remembers what it was asked to wait (no timing in tests). */
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

/** Deterministic pseudo-random bytes (printable, so failures are readable). */
export function testBytes(size: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = 32 + ((x >>> 0) % 95);
  }
  return out;
}

/** Byte equality without a per-element deep compare (slow on megabytes); says where the first difference is. */
export function sameBytes(actual: Buffer, expected: Buffer): string {
  if (actual.equals(expected)) return "same";
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  return `differ: lengths ${actual.length}/${expected.length}, first difference at byte ${i}`;
}

export async function collect(body: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Write `data` in pieces, flushing each, then destroy the socket after `cutAt` bytes (a mid-body reset). */
export async function writeThenReset(res: ServerResponse, data: Buffer, cutAt: number): Promise<void> {
  const piece = 16 * 1024;
  for (let off = 0; off < cutAt; off += piece) {
    const end = Math.min(cutAt, off + piece);
    if (!res.write(data.subarray(off, end))) await new Promise((r) => res.once("drain", r));
  }
  // Let the bytes leave before the reset so the client really is mid-body.
  await new Promise((r) => setTimeout(r, 20));
  res.socket?.resetAndDestroy();
}
