// One approach, one process, so peak RSS is that approach's own. Prints one JSON line.
// usage: node --expose-gc bench/child.mjs <approach> <file-or-url> [users]
import { createReadStream, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { request } from "undici";
import { readDataset, readDatasetInWorker, openDataJsonWriter } from "../dist/index.js";
import { BOOL_FEATURES, COLUMNS, FEATURES } from "./generate.mjs";

const [approach, source, usersArg] = process.argv.slice(2);
const SPEC = FEATURES.map((column) => (BOOL_FEATURES.includes(column) ? { column, kind: "boolean" } : { column }));
const WIDTH = FEATURES.length;
const BATCH = 8192;
const featureIndex = FEATURES.map((f) => COLUMNS.indexOf(f));

/** The whole-body approaches apply the reader's encoding rules by hand, into the same kind of batches. */
function encodeRows(rows, onBatch) {
  const features = new Float32Array(BATCH * WIDTH);
  let n = 0;
  let ids = [];
  for (const row of rows) {
    const base = n * WIDTH;
    for (let k = 0; k < WIDTH; k++) {
      const v = row[featureIndex[k]];
      features[base + k] = typeof v === "number" ? v : v === true || v === "true" ? 1 : 0;
    }
    ids.push(row[0]);
    if (++n === BATCH) {
      onBatch(features, n, ids);
      n = 0;
      ids = [];
    }
  }
  if (n > 0) onBatch(features, n, ids);
}

let checksum = 0;
let users = 0;
const consume = (features, rows) => {
  users += rows;
  for (let r = 0; r < rows; r += 97) checksum += features[r * WIDTH + 12];
};

async function httpBody(url) {
  const res = await request(url);
  const parts = [];
  for await (const chunk of res.body) parts.push(chunk);
  return Buffer.concat(parts);
}

async function readWith(src, trackDuplicates, more = {}, open = readDataset) {
  const reader = open(src, { features: SPEC, trackDuplicates, ...more });
  for await (const b of reader) consume(b.features, b.rows);
  const s = reader.stats();
  return { decodeThreads: s.decode?.threads ?? 0, parallelSegments: s.decode?.parallelSegments ?? 0, duplicateMemoryMB: s.duplicateMemoryBytes / 2 ** 20, duplicateDiskMB: s.duplicateDiskBytes / 2 ** 20, duplicates: s.duplicateUserIds };
}

const approaches = {
  // The reader's own file source (a file: URL, one reused read buffer), decode threads as by default.
  "reader-file": () => readWith(pathToFileURL(source), true),
  "reader-file-parallel": () => readWith(pathToFileURL(source), true, { decodeThreads: 1 }),
  "reader-http-parallel": () => readWith(source, true, { decodeThreads: 1 }),
  "reader-file-nodup": () => readWith(pathToFileURL(source), false),
  // A caller's own stream (fs.createReadStream, 1 MiB chunks).
  "reader-stream": () => readWith(createReadStream(source, { highWaterMark: 1 << 20 }), true),
  "reader-http": () => readWith(source, true),
  // readDatasetInWorker: download and decode in one worker thread (its own small young generation), this
  // thread only takes the batches.
  "reader-http-worker": () => readWith(source, true, {}, readDatasetInWorker),
  // The decoder alone: the file is read into memory first (not timed), then fed as 1 MiB chunks.
  "reader-memory": async () => {
    const whole = readFileSync(source);
    async function* chunks() {
      for (let i = 0; i < whole.length; i += 1 << 20) yield whole.subarray(i, i + (1 << 20));
    }
    const t = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const out = await readWith(chunks(), true);
    timed = Number(process.hrtime.bigint() - t) / 1e9;
    const c = process.cpuUsage(c0);
    timedCpu = (c.user + c.system) / 1e6;
    return out;
  },
  "jsonparse-file": async () => {
    const doc = JSON.parse(await readFile(source, "utf8"));
    encodeRows(doc.data, consume);
  },
  "jsonparse-http": async () => {
    const doc = JSON.parse((await httpBody(source)).toString("utf8"));
    encodeRows(doc.data, consume);
  },
  "streamjson-file": async () => {
    const { default: StreamJson } = await import("stream-json");
    const { default: Pick } = await import("stream-json/filters/Pick.js");
    const { default: StreamArray } = await import("stream-json/streamers/StreamArray.js");
    const pipeline = createReadStream(source, { highWaterMark: 1 << 20 }).pipe(StreamJson.parser()).pipe(Pick.pick({ filter: "data" })).pipe(StreamArray.streamArray());
    const rows = [];
    for await (const { value } of pipeline) {
      rows.push(value);
      if (rows.length === BATCH) encodeRows(rows.splice(0), consume);
    }
    encodeRows(rows, consume);
  },
  // The writer with 1% of the ids repeated (each repeat once, spread through the file) and
  // close({ dedupe }): the two-pass "last one wins" rewrite, timed from open to close.
  "writer-dedupe": async () => {
    const n = Number(usersArg);
    const path = join(source, `data-dedupe-${process.pid}.json`);
    const w = await openDataJsonWriter(path, { category: "Predictions", properties: ["Rating"] });
    const scores = new Float32Array(BATCH).map((_, i) => (i % 1000) / 999);
    const repeated = new Set();
    const t = process.hrtime.bigint();
    for (let done = 0; done < n; done += BATCH) {
      const count = Math.min(BATCH, n - done);
      const ids = Array.from({ length: count }, (_, i) => {
        const k = done + i;
        // Every 100th row repeats the id of a row 5,001 rows earlier (never itself a repeat).
        if (k % 100 === 99 && k >= 5001) {
          const id = `user-${(k - 5001).toString(36)}`;
          repeated.add(id);
          return id;
        }
        return `user-${k.toString(36)}`;
      });
      w.writeScores(ids, scores, count);
      users += count;
    }
    const result = await w.close({ dedupe: repeated });
    timed = Number(process.hrtime.bigint() - t) / 1e9;
    const { rm } = await import("node:fs/promises");
    await rm(path);
    return { fileMB: result.bytes / 2 ** 20, duplicatesRemoved: result.duplicatesRemoved };
  },
  writer: async () => {
    const n = Number(usersArg);
    const ids = Array.from({ length: BATCH }, (_, i) => `user-${i.toString(36)}-${(i * 2654435761 >>> 8).toString(16)}`);
    const scores = new Float32Array(BATCH).map((_, i) => (i % 1000) / 999);
    const path = join(source, `data-${process.pid}.json`);
    const w = await openDataJsonWriter(path, { category: "Predictions", properties: ["Rating"] });
    const t = process.hrtime.bigint();
    for (let done = 0; done < n; done += BATCH) {
      const count = Math.min(BATCH, n - done);
      w.writeScores(ids, scores, count);
      users += count;
    }
    const result = await w.close();
    timed = Number(process.hrtime.bigint() - t) / 1e9;
    const { rm } = await import("node:fs/promises");
    await rm(path);
    return { fileMB: result.bytes / 2 ** 20 };
  },
};

let timed;
let timedCpu;
const run = approaches[approach];
if (!run) throw new Error(`unknown approach ${approach}`);
const start = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
const extra = (await run()) ?? {};
const seconds = timed ?? Number(process.hrtime.bigint() - start) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = timedCpu ?? (cpu.user + cpu.system) / 1e6;
const status = readFileSync("/proc/self/status", "utf8");
const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
process.stdout.write(`${JSON.stringify({ approach, users, seconds, usersPerSec: users / seconds, cpuSeconds, usersPerCpuSec: users / cpuSeconds, peakRssMB: hwm, checksum, ...extra })}\n`);
