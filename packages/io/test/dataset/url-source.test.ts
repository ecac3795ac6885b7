import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDataset } from "../../src/index.js";
import { collect, dataset, errorOf } from "../helpers/byte-chunks.js";

const rows = Array.from({ length: 2000 }, (_, i) => [`user-${i}-é`, i / 4, i % 3 === 0 ? null : true]);
const body = Buffer.from(dataset(["user_id", "a", "b"], rows));
const encoders: Record<string, (b: Buffer) => Buffer> = { gzip: gzipSync, deflate: deflateSync, br: brotliCompressSync };

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const encoding = url.pathname.slice(1);
    if (encoding === "short") {
      // Promises more bytes than it sends, then closes: a truncated body.
      res.writeHead(200, { "content-type": "application/json", "content-length": String(body.length + 100) });
      res.write(body.subarray(0, 500), () => res.destroy());
      return;
    }
    if (encoding === "missing") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"metadata":{"columns":["user_id"]},"data":[]}');
      return;
    }
    const encode = encoders[encoding];
    const payload = encode ? encode(body) : body;
    res.writeHead(200, { "content-type": "application/json", "content-length": String(payload.length), ...(encode ? { "content-encoding": encoding } : {}) });
    // Several writes, so the client sees several chunks.
    for (let i = 0; i < payload.length; i += 4096) res.write(payload.subarray(i, i + 4096));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const features = [{ column: "a" }, { column: "b" }];

describe("readDataset from a URL", () => {
  it.each(["identity", "gzip", "deflate", "br"])("decodes a %s body", async (encoding) => {
    const reader = readDataset(`${base}/${encoding}?range_start_gt_or_eq=0&range_end_lt=0.5&sig=secret`, {
      features,
      batchSize: 512,
      http: { compression: "always" },
    });
    const got = await collect(reader);
    expect(got.userIds).toEqual(rows.map((r) => r[0]));
    expect(got.features[3]).toEqual([0.75, 0]);
    expect(got.features[4]).toEqual([1, 1]);
    const stats = reader.stats();
    expect(stats).toMatchObject({ rows: 2000, bytes: body.length, complete: true });
    expect(stats.columns.b).toEqual({ missing: 667, invalid: 0 });
    expect(stats.http?.attempts).toBe(1);
  });

  it("fails on a body shorter than its Content-Length, without the query string in the message", async () => {
    const err = await errorOf(() => collect(readDataset(`${base}/short?sig=secret`, { features, http: { retry: { maxAttempts: 1 } } })));
    expect(String(err.code)).toMatch(/TRUNCATED/);
    expect(err.message).not.toContain("secret");
  });

  it("names the redacted URL in dataset errors", async () => {
    const err = await errorOf(() => collect(readDataset(`${base}/missing?sig=secret`, { features })));
    expect(err.code).toBe("DATASET_COLUMN_MISSING");
    expect(err.message).toContain(`${base}/missing?…`);
    expect(err.message).not.toContain("secret");
    expect(err.url).toBe(`${base}/missing?…`);
  });
});
