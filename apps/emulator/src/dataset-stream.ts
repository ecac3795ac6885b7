/**
 * Serves a `random` range of a dataset: a prefix with the columns, a byte span of the cached rows file, the
 * duplicated rows when that fault is on, and a suffix. Streamed with backpressure, never held in memory.
 */
import { createReadStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { createGzip } from "node:zlib";
import type { DatasetFile } from "./dataset-file.js";
import type { DemoProject } from "./demo-project.js";
import type { FaultInjector } from "./faults.js";

export interface RangeSpan {
  lo: number;
  hi: number;
}

/** Parses the platform's range parameters ([choice]: over `random`, start inclusive, end exclusive). */
export function parseRange(query: URLSearchParams, project: DemoProject): RangeSpan | { error: string } {
  const startText = query.get("range_start_gt_or_eq");
  const endText = query.get("range_end_lt");
  const start = startText === null ? 0 : Number(startText);
  const end = endText === null ? Number.POSITIVE_INFINITY : Number(endText);
  if (Number.isNaN(start) || (startText !== null && startText.trim() === "")) {
    return { error: `range_start_gt_or_eq must be a number, got ${JSON.stringify(startText)}` };
  }
  if (Number.isNaN(end) || (endText !== null && endText.trim() === "")) {
    return { error: `range_end_lt must be a number, got ${JSON.stringify(endText)}` };
  }
  const lo = project.lowerBound(start);
  const hi = Math.max(lo, project.lowerBound(end));
  return { lo, hi };
}

function* fileSpans(file: DatasetFile, span: RangeSpan, duplicates: number): Generator<[number, number]> {
  // [start, end) byte spans of the rows file; each span drops the last row's ",\n".
  if (span.hi > span.lo) yield [file.offsets[span.lo] as number, (file.offsets[span.hi] as number) - 2];
  if (duplicates > 0) yield [file.offsets[span.lo] as number, (file.offsets[span.lo + duplicates] as number) - 2];
}

export async function serveDataset(
  req: IncomingMessage,
  res: ServerResponse,
  file: DatasetFile,
  columns: readonly string[],
  span: RangeSpan,
  faults: FaultInjector,
): Promise<void> {
  const duplicates = faults.duplicatesFor(span.hi - span.lo);
  const prefix = Buffer.from(`{"metadata":{"columns":${JSON.stringify(columns)}},"data":[\n`);
  const suffix = Buffer.from("\n]}\n");
  const separator = Buffer.from(",\n");
  const spans = [...fileSpans(file, span, duplicates)];
  let total = prefix.length + suffix.length;
  spans.forEach(([a, b], i) => (total += b - a + (i > 0 ? separator.length : 0)));

  const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const reset = faults.resetBody();
  const slowMs = faults.slowMs;
  if (slowMs > 0) faults.counts.slowBodies++;
  const cutAt = Math.floor(total / 2);

  res.statusCode = 200;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("X-Dataset-Rows", String(span.hi - span.lo + duplicates));
  if (gzip) res.setHeader("Content-Encoding", "gzip");
  else res.setHeader("Content-Length", String(total));

  async function* body(): AsyncGenerator<Buffer> {
    let sent = 0;
    let stalledMidway = false;
    if (slowMs > 0) {
      // Headers out first, so the stall is in the body (a body timeout), not before the response.
      res.flushHeaders();
      await sleep(slowMs);
    }
    async function* parts(): AsyncGenerator<Buffer> {
      yield prefix;
      for (let i = 0; i < spans.length; i++) {
        const [a, b] = spans[i] as [number, number];
        if (i > 0) yield separator;
        if (b > a) yield* createReadStream(file.path, { start: a, end: b - 1, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>;
      }
      yield suffix;
    }
    for await (const chunk of parts()) {
      if (reset && sent + chunk.length > cutAt) {
        // Send what comes before the cut, let it reach the socket, then kill the connection.
        yield chunk.subarray(0, Math.max(0, cutAt - sent));
        await sleep(20);
        req.socket.destroy();
        return;
      }
      if (slowMs > 0 && !stalledMidway && sent + chunk.length > cutAt) {
        stalledMidway = true;
        const head = Math.max(0, cutAt - sent);
        yield chunk.subarray(0, head);
        await sleep(slowMs);
        yield chunk.subarray(head);
      } else {
        yield chunk;
      }
      sent += chunk.length;
    }
  }

  const source = Readable.from(body(), { objectMode: false, highWaterMark: 1 << 20 });
  try {
    if (gzip) await pipeline(source, createGzip({ level: 1 }), res);
    else await pipeline(source, res);
  } catch {
    // The client went away or the reset fault fired: nothing to answer any more.
    res.destroy();
  }
}
