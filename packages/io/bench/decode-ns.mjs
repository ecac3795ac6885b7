// The decoder alone, in this thread: ns per row of SegmentDecoder over the 1 MiB segments of a dataset file
// (the first 120 MiB), 5 reps, median. Pass a dist folder, so two builds can be compared side by side:
//   node bench/decode-ns.mjs ./dist <dataset.json>   (e.g. the emulator's rows: apps/emulator/bench/dump-dataset.mjs)
// Numeric columns as numbers, string columns other than "true"/"false" as categorical (their first 8 values).
import { readFileSync } from "node:fs";
const dist = new URL(process.argv[2].endsWith("/") ? process.argv[2] : `${process.argv[2]}/`, `file://${process.cwd()}/`).href.replace(/\/$/, "");
const { Segmenter } = await import(`${dist}/dataset/decode-pool.js`);
const { SegmentDecoder } = await import(`${dist}/dataset/segment-decoder.js`);
const file = process.argv[3];
const whole = readFileSync(file);
const headText = whole.subarray(0, 400000).toString();
const columns = JSON.parse(headText.slice(12, headText.indexOf("]}") + 2)).columns;
const lines = headText.split("\n").slice(1, 1000).map((l) => JSON.parse(l.replace(/,$/, "")));
const first = columns.findIndex((c) => c.startsWith("feature"));
const spec = columns.slice(first).map((c, k) => { const vals = lines.map((r) => r[first + k]); if (vals.some((v) => typeof v === "string" && v !== "true" && v !== "false")) return { column: c, kind: "categorical", categories: [...new Set(vals.filter((v) => typeof v === "string"))].slice(0, 8) }; return { column: c }; });
const width = spec.reduce((a, s) => a + (s.kind === "categorical" ? s.categories.length : 1), 0);
const start = whole.indexOf("[\n[") + 2;
const seg = new Segmenter(1 << 20, 0);
const segs = [];
for (let i = start; i < whole.length && segs.length < 120; i += 1 << 20) for (const s of seg.push(whole.subarray(i, i + (1 << 20)))) { const b = new ArrayBuffer(1 << 20); Buffer.from(b).set(s.bytes); segs.push({ b, len: s.bytes.length }); }
const sd = new SegmentDecoder(columns, { features: spec, extraColumns: [], idColumn: "user_id", fill: 0 }, true, 4096);
const slot = { capacity: 8192, features: new SharedArrayBuffer(8192 * width * 4), hashes: new SharedArrayBuffer(8192 * 8) };
const out = [];
let check = 0;
for (let rep = 0; rep < 5; rep++) {
  let rows = 0;
  const t = process.hrtime.bigint();
  for (const s of segs.slice(1)) { const r = sd.decode(0, s.b, s.len, slot); if (r.clean) rows += r.rows; }
  const ns = Number(process.hrtime.bigint() - t) / rows;
  out.push(ns);
  const f = new Float32Array(slot.features); for (let i = 0; i < 4000; i++) check += f[i];
}
out.sort((a, b) => a - b);
console.log(dist.split("/").slice(-2).join("/"), "ns/row median", out[2].toFixed(0), "min", out[0].toFixed(0), "check", check.toFixed(3));
