import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { HttpError, isLoopbackUrl, openBody, type RetryInfo } from "../../src/http/index.js";
import { collect, recordingSleep, sameBytes, startServer, testBytes, type TestServer } from "../helpers/http-server.js";
import { serveBytes } from "../helpers/http-serve-bytes.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const data = testBytes(300_000, 7);

describe("openBody", () => {
  it("delivers an identity body once, with one attempt", async () => {
    server = await startServer((req, res) => serveBytes(req, res, data));
    const body = openBody(`${server.url}/d?sig=secret`);
    expect(sameBytes(await collect(body), data)).toBe("same");
    expect(body.stats()).toEqual({ bytes: data.length, attempts: 1, resumes: 0, restarts: 0 });
    expect(body.url).toBe(`${server.url}/d?…`);
  });

  for (const encoding of ["gzip", "deflate", "br"] as const) {
    it(`decodes a ${encoding} body and asks for compression`, async () => {
      server = await startServer((req, res) => serveBytes(req, res, data, { encoding }));
      const body = openBody(`${server.url}/d`);
      expect(sameBytes(await collect(body), data)).toBe("same");
      expect(server.requests[0]?.headers["accept-encoding"]).toBe("gzip, deflate, br");
    });
  }

  it('asks for identity from a loopback host with compression "auto", and for compression with "always"', async () => {
    server = await startServer((req, res) => serveBytes(req, res, data, { encoding: "gzip" }));
    expect(sameBytes(await collect(openBody(`${server.url}/d`, { compression: "auto" })), data)).toBe("same");
    expect(server.requests[0]?.headers["accept-encoding"]).toBe("identity");
    expect(sameBytes(await collect(openBody(`${server.url}/d`, { compression: "never" })), data)).toBe("same");
    expect(server.requests[1]?.headers["accept-encoding"]).toBe("identity");
    await collect(openBody(`${server.url}/d`));
    expect(server.requests[2]?.headers["accept-encoding"]).toBe("gzip, deflate, br");
  });

  it("tells loopback hosts from others", () => {
    expect(isLoopbackUrl("http://127.0.0.1:80/x")).toBe(true);
    expect(isLoopbackUrl("http://127.1.2.3/x")).toBe(true);
    expect(isLoopbackUrl("http://localhost:9/x")).toBe(true);
    expect(isLoopbackUrl("http://[::1]:9/x")).toBe(true);
    expect(isLoopbackUrl("https://s3.eu-central-1.amazonaws.com/x")).toBe(false);
    expect(isLoopbackUrl("http://128.0.0.1/x")).toBe(false);
  });

  it("retries a 503 and then reads the 200", async () => {
    const { sleep, delays } = recordingSleep();
    const retries: RetryInfo[] = [];
    server = await startServer((req, res, i) => {
      if (i === 0) {
        res.writeHead(503).end("busy");
        return;
      }
      return serveBytes(req, res, data);
    });
    const body = openBody(`${server.url}/d?X-Amz-Signature=abc`, { sleep, onRetry: (r) => retries.push(r) });
    expect(sameBytes(await collect(body), data)).toBe("same");
    expect(body.stats().attempts).toBe(2);
    expect(delays).toHaveLength(1);
    expect(retries).toEqual([{ attempt: 1, delayMs: delays[0], reason: "503", url: `${server.url}/d?…` }]);
  });

  it("waits what a 429's Retry-After asks", async () => {
    const { sleep, delays } = recordingSleep();
    server = await startServer((req, res, i) => {
      if (i === 0) {
        res.writeHead(429, { "retry-after": "3" }).end();
        return;
      }
      return serveBytes(req, res, data);
    });
    expect(sameBytes(await collect(openBody(`${server.url}/d`, { sleep })), data)).toBe("same");
    expect(delays).toEqual([3000]);
  });

  it("fails a 404 at once with the redacted URL in the message", async () => {
    const { sleep, delays } = recordingSleep();
    server = await startServer((_req, res) => {
      res.writeHead(404).end("no such dataset");
    });
    const err = await collect(openBody(`${server.url}/api/x?token=s3cr3t`, { sleep })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    const e = err as HttpError;
    expect(e.code).toBe("HTTP_STATUS");
    expect(e.status).toBe(404);
    expect(e.attempts).toBe(1);
    expect(e.message).toBe(`GET ${server.url}/api/x?… answered 404 after 1 attempt`);
    expect(e.bodyExcerpt).toBe("no such dataset");
    expect(delays).toEqual([]);
  });

  it("gives up on a persistent 503 after maxAttempts", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((_req, res) => {
      res.writeHead(503).end();
    });
    const err = (await collect(openBody(`${server.url}/q?a=1`, { sleep, retry: { maxAttempts: 3 } })).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_STATUS");
    expect(err.message).toBe(`GET ${server.url}/q?… answered 503 after 3 attempts`);
    expect(server.requests).toHaveLength(3);
  });

  it("resumes with Range after a reset in the middle of the body", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((req, res, i) =>
      serveBytes(req, res, data, { etag: '"v1"', ranges: true, ...(i === 0 ? { resetAfter: 100_000 } : {}) }),
    );
    const body = openBody(`${server.url}/d`, { sleep });
    expect(sameBytes(await collect(body), data)).toBe("same");
    const stats = body.stats();
    expect(stats).toMatchObject({ bytes: data.length, attempts: 2, resumes: 1, restarts: 0 });
    const second = server.requests[1]?.headers;
    expect(second?.range).toMatch(/^bytes=\d+-$/);
    expect(Number(second?.range?.slice(6, -1))).toBeGreaterThan(0);
    expect(second?.["if-range"]).toBe('"v1"');
    expect(second?.["accept-encoding"]).toBe("identity");
  });

  it("resumes with Last-Modified in If-Range when there is no ETag", async () => {
    const { sleep } = recordingSleep();
    const lastModified = "Wed, 02 Dec 2026 10:00:00 GMT";
    server = await startServer((req, res, i) => serveBytes(req, res, data, { lastModified, ranges: true, ...(i === 0 ? { resetAfter: 0.5 } : {}) }));
    const body = openBody(`${server.url}/d`, { sleep });
    expect(sameBytes(await collect(body), data)).toBe("same");
    expect(body.stats()).toMatchObject({ resumes: 1, restarts: 0 });
    expect(server.requests[1]?.headers["if-range"]).toBe(lastModified);
  });

  it("falls back to a full restart when a 206 starts at the wrong byte", async () => {
    const { sleep } = recordingSleep();
    const reasons: string[] = [];
    server = await startServer((req, res, i) => {
      if (i === 1) {
        // Off by one: taking it would duplicate a byte.
        const start = Number(/bytes=(\d+)-/.exec(String(req.headers.range))?.[1]) - 1;
        const part = data.subarray(start);
        res.writeHead(206, { etag: '"r"', "content-range": `bytes ${start}-${data.length - 1}/${data.length}`, "content-length": String(part.length) });
        res.end(part);
        return;
      }
      return serveBytes(req, res, data, { etag: '"r"', ranges: true, ...(i === 0 ? { resetAfter: 0.5 } : {}) });
    });
    const body = openBody(`${server.url}/d`, { sleep, onRetry: (r) => reasons.push(r.reason) });
    expect(sameBytes(await collect(body), data)).toBe("same");
    expect(body.stats()).toMatchObject({ attempts: 3, resumes: 0, restarts: 1 });
    expect(reasons[1]).toMatch(/^unusable partial response: it starts at byte/);
    expect(server.requests[2]?.headers.range).toBeUndefined();
  });

  it("keeps the cause and a hint when resets never stop", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((req, res) => serveBytes(req, res, data, { resetAfter: 0.3 }));
    const err = (await collect(openBody(`${server.url}/d`, { sleep, retry: { maxAttempts: 2 } })).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(["HTTP_NETWORK", "HTTP_TRUNCATED"]).toContain(err.code);
    expect(err.attempts).toBe(2);
    expect(err.hint.length).toBeGreaterThan(10);
    expect((err.cause as { code?: string }).code).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
  });

  it("counts the retry budget per failure without progress, so a long body outlives many resets", async () => {
    const { sleep } = recordingSleep();
    // Every response resets 40,000 bytes in: 8 resets for 300,000 bytes, more than maxAttempts in total.
    server = await startServer((req, res) => serveBytes(req, res, data, { etag: '"p"', ranges: true, resetAfter: 40_000 }));
    const body = openBody(`${server.url}/d`, { sleep, retry: { maxAttempts: 3 } });
    expect(sameBytes(await collect(body), data)).toBe("same");
    expect(body.stats().attempts).toBeGreaterThan(3);
    expect(body.stats().resumes).toBe(body.stats().attempts - 1);
  });

  it("restarts a gzip body after a reset and skips what it already delivered", async () => {
    const { sleep } = recordingSleep();
    const big = testBytes(2_000_000, 3);
    server = await startServer((req, res, i) =>
      serveBytes(req, res, big, { etag: '"g1"', ranges: true, encoding: "gzip", ...(i === 0 ? { resetAfter: 800_000 } : {}) }),
    );
    const body = openBody(`${server.url}/d`, { sleep });
    expect(sameBytes(await collect(body), big)).toBe("same");
    expect(body.stats()).toMatchObject({ attempts: 2, resumes: 0, restarts: 1 });
    expect(server.requests[1]?.headers.range).toBeUndefined();
  });

  it("treats a body shorter than Content-Length as truncated, never as the end", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((req, res) => serveBytes(req, res, data, { truncateAfter: 120_000 }));
    const err = (await collect(openBody(`${server.url}/d`, { sleep, retry: { maxAttempts: 2 } })).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.code).toBe("HTTP_TRUNCATED");
    expect(err.bytesReceived).toBe(120_000);
    expect(err.bytesExpected).toBe(data.length);
    expect(err.attempts).toBe(2);
    expect(err.message).toContain(`at byte 120000 of ${data.length}`);
  });

  it("treats a chunked gzip body cut before its end marker as truncated", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((req, res) => serveBytes(req, res, data, { encoding: "gzip", chunked: true, truncateAfter: 5_000 }));
    const err = (await collect(openBody(`${server.url}/d`, { sleep, retry: { maxAttempts: 2 } })).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_TRUNCATED");
    expect(err.attempts).toBe(2);
  });

  it("recovers from a truncated body on the next attempt", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((req, res, i) => serveBytes(req, res, data, i === 0 ? { truncateAfter: 50_000 } : {}));
    const body = openBody(`${server.url}/d`, { sleep });
    expect(sameBytes(await collect(body), data)).toBe("same");
    expect(body.stats()).toMatchObject({ attempts: 2, restarts: 1 });
  });

  it("retries a corrupt gzip body and names the problem when it stays corrupt", async () => {
    const { sleep } = recordingSleep();
    const reasons: string[] = [];
    const bad = gzipSync(data);
    const mid = Math.floor(bad.length / 2);
    bad[mid] = (bad[mid] ?? 0) ^ 0xff;
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": String(bad.length) }).end(bad);
    });
    const err = (await collect(openBody(`${server.url}/d`, { sleep, retry: { maxAttempts: 2 }, onRetry: (r) => reasons.push(r.reason) })).catch(
      (e: unknown) => e,
    )) as HttpError;
    expect(err.code).toBe("HTTP_PROTOCOL");
    expect(err.message).toContain("the compressed body could not be decoded");
    // The first attempt delivered the bytes before the damage (progress, a fresh budget); the second did not.
    expect(reasons).toEqual(["Z_DATA_ERROR", "Z_DATA_ERROR"]);
  });

  it("refuses a Content-Encoding it cannot decode, without retrying", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { "content-encoding": "zstd" }).end("xx");
    });
    const err = (await collect(openBody(`${server.url}/d`)).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_PROTOCOL");
    expect(err.message).toContain('unsupported Content-Encoding "zstd"');
    expect(server.requests).toHaveLength(1);
  });

  it("fails a URL that is not absolute http(s) before sending anything", async () => {
    for (const url of ["http://", "ftp://127.0.0.1/x?sig=1", "data.json"]) {
      const err = (await collect(openBody(url)).catch((e: unknown) => e)) as HttpError;
      expect(err).toBeInstanceOf(HttpError);
      expect(err.code).toBe("HTTP_INVALID_URL");
      expect(err.attempts).toBe(0);
      expect(err.message).not.toContain("sig=1");
    }
  });

  it("retries a body that stalls past the idle timeout", async () => {
    const { sleep } = recordingSleep();
    const reasons: string[] = [];
    server = await startServer((req, res, i) => serveBytes(req, res, data, i === 0 ? { stallAfter: 64_000 } : {}));
    const body = openBody(`${server.url}/d`, { sleep, bodyTimeoutMs: 150, onRetry: (r) => reasons.push(r.reason) });
    expect(sameBytes(await collect(body), data)).toBe("same");
    expect(reasons).toEqual(["UND_ERR_BODY_TIMEOUT"]);
  });

  it("ends with HTTP_TIMEOUT when the body keeps stalling", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((req, res) => serveBytes(req, res, data, { stallAfter: 64_000 }));
    const err = (await collect(openBody(`${server.url}/d`, { sleep, bodyTimeoutMs: 100, retry: { maxAttempts: 2 } })).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_TIMEOUT");
    expect(err.attempts).toBe(2);
  });

  it("times out waiting for headers", async () => {
    const { sleep } = recordingSleep();
    server = await startServer(() => undefined);
    const err = (await collect(openBody(`${server.url}/d`, { sleep, headersTimeoutMs: 100, retry: { maxAttempts: 1 } })).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_TIMEOUT");
    expect(err.message).toContain("UND_ERR_HEADERS_TIMEOUT");
  });

  it("refuses to mix two versions when the restarted body has another ETag", async () => {
    const { sleep } = recordingSleep();
    const other = testBytes(data.length, 99);
    server = await startServer((req, res, i) =>
      i === 0 ? serveBytes(req, res, data, { etag: '"a"', resetAfter: 100_000 }) : serveBytes(req, res, other, { etag: '"b"' }),
    );
    const seen: Buffer[] = [];
    const err = await (async () => {
      for await (const c of openBody(`${server!.url}/d`, { sleep })) seen.push(c);
    })().catch((e: unknown) => e);
    expect((err as HttpError).code).toBe("HTTP_BODY_CHANGED");
    const got = Buffer.concat(seen);
    expect(got.length).toBeGreaterThan(0);
    expect(sameBytes(got, data.subarray(0, got.length))).toBe("same");
  });

  it("refuses a restarted body that ends before the bytes already delivered", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((req, res, i) =>
      i === 0 ? serveBytes(req, res, data, { chunked: true, resetAfter: 200_000 }) : serveBytes(req, res, data.subarray(0, 50_000), { chunked: true }),
    );
    const err = (await collect(openBody(`${server.url}/d`, { sleep })).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_BODY_CHANGED");
    expect(err.message).toContain("it now ends at byte 50000");
  });

  it("stops at once on a user abort, without retrying", async () => {
    const { sleep, delays } = recordingSleep();
    server = await startServer((req, res) => serveBytes(req, res, data, { stallAfter: 64_000 }));
    const controller = new AbortController();
    const seen: number[] = [];
    const err = await (async () => {
      for await (const c of openBody(`${server!.url}/d`, { sleep, signal: controller.signal })) {
        seen.push(c.length);
        controller.abort();
      }
    })().catch((e: unknown) => e);
    expect((err as HttpError).code).toBe("HTTP_ABORTED");
    expect(seen).toHaveLength(1);
    expect(delays).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it("takes a new version when the first attempt failed before delivering anything", async () => {
    const { sleep } = recordingSleep();
    const other = testBytes(1000, 5);
    server = await startServer((req, res, i) =>
      i === 0 ? serveBytes(req, res, data, { etag: '"a"', resetAfter: 0 }) : serveBytes(req, res, other, { etag: '"b"' }),
    );
    const body = openBody(`${server.url}/d`, { sleep });
    expect(sameBytes(await collect(body), other)).toBe("same");
    expect(body.stats()).toMatchObject({ attempts: 2, restarts: 0, resumes: 0 });
  });

  it("does not start when the signal is already aborted", async () => {
    server = await startServer((req, res) => serveBytes(req, res, data));
    const err = (await collect(openBody(`${server.url}/d`, { signal: AbortSignal.abort() })).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_ABORTED");
    expect(server.requests).toHaveLength(0);
  });

  it("can be iterated only once", async () => {
    server = await startServer((req, res) => serveBytes(req, res, data));
    const body = openBody(`${server.url}/d`);
    await collect(body);
    expect(() => body[Symbol.asyncIterator]()).toThrow(TypeError);
  });

  for (const encoding of [undefined, "gzip"] as const) {
    it(`holds a fast server back for a slow consumer without losing bytes (${encoding ?? "identity"})`, async () => {
      const { sleep } = recordingSleep();
      const big = testBytes(8_000_000, 11);
      server = await startServer((req, res, i) =>
        serveBytes(req, res, big, { etag: '"s"', ranges: true, ...(encoding ? { encoding } : {}), ...(i === 0 ? { resetAfter: 0.6 } : {}) }),
      );
      const body = openBody(`${server.url}/d`, { sleep });
      const parts: Buffer[] = [];
      let n = 0;
      for await (const chunk of body) {
        parts.push(chunk);
        // Slow enough that the 2 MiB queue fills and the socket is paused.
        if (++n % 4 === 0) await new Promise((r) => setTimeout(r, 5));
      }
      expect(sameBytes(Buffer.concat(parts), big)).toBe("same");
      expect(body.stats().attempts).toBe(2);
    });
  }

  it("frees the connection when the consumer stops early", async () => {
    server = await startServer((req, res) => serveBytes(req, res, testBytes(5_000_000)));
    for await (const chunk of openBody(`${server.url}/d`)) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(server.requests).toHaveLength(1);
    await expect.poll(() => server!.openSockets()).toBe(0);
  });

  it("lets onResponse refuse a body before it is read", async () => {
    server = await startServer((req, res) => serveBytes(req, res, data));
    const body = openBody(`${server.url}/d`, {
      onResponse: (info) => {
        if ((info.totalBytes ?? 0) > 1000) throw new RangeError(`too large: ${info.totalBytes}`);
      },
    });
    await expect(collect(body)).rejects.toThrow(`too large: ${data.length}`);
    expect(body.stats().bytes).toBe(0);
  });
});
