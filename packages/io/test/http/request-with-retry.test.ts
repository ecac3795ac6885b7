import { createServer } from "node:net";
import { Readable } from "node:stream";
import { Agent } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { HttpError, requestWithRetry } from "../../src/http/index.js";
import { recordingSleep, startServer, type TestServer } from "../helpers/http-server.js";

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function readAll(req: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c);
  return Buffer.concat(parts);
}

describe("requestWithRetry", () => {
  it("re-creates the body for every attempt and returns the 2xx answer", async () => {
    const { sleep } = recordingSleep();
    const received: string[] = [];
    server = await startServer(async (req, res, i) => {
      received.push((await readAll(req)).toString());
      if (i < 2) res.writeHead(503).end();
      else res.writeHead(201, { "x-id": "7" }).end("stored");
    });
    let made = 0;
    const res = await requestWithRetry(`${server.url}/put?sig=1`, {
      method: "PUT",
      headers: { "Content-Length": "5" },
      body: () => {
        made++;
        return Readable.from([Buffer.from("he"), Buffer.from("llo")]);
      },
      sleep,
    });
    expect(res).toMatchObject({ status: 201, attempts: 3, complete: true });
    expect(res.body.toString()).toBe("stored");
    expect(res.headers["x-id"]).toBe("7");
    expect(made).toBe(3);
    expect(received).toEqual(["hello", "hello", "hello"]);
  });

  it("retries a connection reset", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((req, res, i) => {
      if (i === 0) req.socket.resetAndDestroy();
      else res.end("ok");
    });
    const reasons: string[] = [];
    const res = await requestWithRetry(`${server.url}/x`, { sleep, onRetry: (r) => reasons.push(r.reason) });
    expect(res.body.toString()).toBe("ok");
    expect(reasons).toEqual(["ECONNRESET"]);
  });

  it("does not retry a 403 and keeps a redacted excerpt of its body", async () => {
    const { sleep, delays } = recordingSleep();
    server = await startServer((_req, res) => {
      res.writeHead(403).end("<Error><Code>AccessDenied</Code><Message>Request has expired</Message><Sig>abcdef123</Sig></Error>");
    });
    const err = (await requestWithRetry(`${server.url}/o?signature=abcdef123`, { method: "PUT", body: () => "x", sleep }).catch(
      (e: unknown) => e,
    )) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.status).toBe(403);
    expect(err.message).toBe(`PUT ${server.url}/o?… answered 403 after 1 attempt`);
    expect(err.bodyExcerpt).toContain("Request has expired");
    expect(err.bodyExcerpt).not.toContain("abcdef123");
    expect(delays).toEqual([]);
  });

  it("cuts a response longer than maxResponseBytes", async () => {
    server = await startServer((_req, res) => {
      res.end("x".repeat(10_000));
    });
    const res = await requestWithRetry(server.url, { maxResponseBytes: 100 });
    expect(res.complete).toBe(false);
    expect(res.body.length).toBe(100);
  });

  it("ends with HTTP_ABORTED when aborted while waiting to retry", async () => {
    server = await startServer((_req, res) => {
      res.writeHead(503).end();
    });
    const controller = new AbortController();
    const err = (await requestWithRetry(server.url, {
      signal: controller.signal,
      onRetry: () => controller.abort(),
      retry: { baseDelayMs: 60_000, maxDelayMs: 60_000 },
    }).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_ABORTED");
    expect(server.requests).toHaveLength(1);
  });

  it("sends every attempt through an injected dispatcher", async () => {
    const { sleep } = recordingSleep();
    server = await startServer((_req, res, i) => {
      if (i === 0) res.writeHead(502).end();
      else res.end("ok");
    });
    let dispatched = 0;
    const agent = new Agent();
    const dispatcher = agent.compose((dispatch) => (opts, handler) => {
      dispatched++;
      return dispatch(opts, handler);
    });
    const res = await requestWithRetry(`${server.url}/x`, { dispatcher, sleep });
    expect(res.body.toString()).toBe("ok");
    expect(dispatched).toBe(2);
    await agent.close();
  });

  it("retries a refused connection and ends with HTTP_NETWORK", async () => {
    // A port that was just free: nothing listens there any more.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const { port } = probe.address() as { port: number };
    await new Promise<void>((r) => probe.close(() => r()));
    const { sleep } = recordingSleep();
    const reasons: string[] = [];
    const err = (await requestWithRetry(`http://127.0.0.1:${port}/x?k=secret`, {
      sleep,
      connectTimeoutMs: 2000,
      retry: { maxAttempts: 3 },
      onRetry: (r) => reasons.push(r.reason),
    }).catch((e: unknown) => e)) as HttpError;
    expect(err.code).toBe("HTTP_NETWORK");
    expect(err.attempts).toBe(3);
    expect(reasons).toEqual(["ECONNREFUSED", "ECONNREFUSED"]);
    expect(err.message).toBe(`GET http://127.0.0.1:${port}/x?… failed (ECONNREFUSED) after 3 attempts`);
  });
});
