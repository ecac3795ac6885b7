import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBody } from "../../src/http/index.js";
import { collect, recordingSleep, sameBytes, startServer, testBytes, type TestServer } from "../helpers/http-server.js";
import { serveBytes, type ServeOptions } from "../helpers/http-serve-bytes.js";

// Stalls are left to open-body.test.ts: undici's idle timer is coarse (about a second), too slow here.
// One server whose behaviour each generated case sets: which faults the next requests suffer.
type Fault = { kind: "reset" | "truncate" | "stall" | "503"; at: number };
let server: TestServer;
let plan: { data: Buffer; faults: Fault[]; base: ServeOptions } = { data: Buffer.alloc(0), faults: [], base: {} };

beforeAll(async () => {
  server = await startServer((req, res) => {
    const fault = plan.faults.shift();
    if (fault?.kind === "503") {
      res.writeHead(503).end();
      return;
    }
    const o: ServeOptions = { ...plan.base };
    if (fault) {
      const at = fault.at;
      if (fault.kind === "reset") o.resetAfter = at;
      else if (fault.kind === "truncate") o.truncateAfter = at;
      else o.stallAfter = at;
    }
    return serveBytes(req, res, plan.data, o);
  });
});
afterAll(() => server.close());

describe("openBody delivers every byte exactly once", () => {
  it("whatever fails, wherever it fails", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 150_000 }),
        fc.constantFrom<ServeOptions["encoding"] | undefined>(undefined, "gzip", "br"),
        fc.boolean(),
        fc.array(
          fc.record({ kind: fc.constantFrom<Fault["kind"]>("reset", "truncate", "503"), at: fc.double({ min: 0.01, max: 0.99, noNaN: true }) }),
          { maxLength: 3 },
        ),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (size, encoding, ranges, faults, seed) => {
          const data = testBytes(size, seed);
          const base: ServeOptions = { etag: `"${seed}"`, ranges, piece: 8 * 1024 };
          if (encoding) base.encoding = encoding;
          plan = { data, faults: [...faults], base };
          const { sleep } = recordingSleep();
          const body = openBody(`${server.url}/d`, { sleep, bodyTimeoutMs: 100, retry: { maxAttempts: faults.length + 1 } });
          const got = await collect(body);
          expect(sameBytes(got, data)).toBe("same");
          const stats = body.stats();
          expect(stats.bytes).toBe(size);
          expect(stats.attempts).toBe(faults.length + 1);
          const midBody = faults.filter((f) => f.kind !== "503").length;
          expect(stats.resumes + stats.restarts).toBeLessThanOrEqual(midBody);
          // Range is used exactly when it is safe: identity bodies from a server that offers it.
          if (ranges && !encoding) expect(stats.restarts).toBe(0);
          else expect(stats.resumes).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
