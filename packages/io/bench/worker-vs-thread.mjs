// readDataset (decode in the main thread) vs readDatasetInWorker (download + decode in a worker thread),
// side by side in one run, on a generated slice served over loopback. Each measurement is its own process
// (peak RSS is that mode's own) doing what the batch stage does per batch: a logistic score over the
// features, then data.json via writeScores, and close({ dedupe }) at the end. Modes alternate per rep.
// Run: pnpm exec tsc -p tsconfig.build.json && node bench/worker-vs-thread.mjs [--users 1000000] [--reps 3]
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { createReadStream } from "node:fs";
import { createServer } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BOOL_FEATURES, FEATURES, generate } from "./generate.mjs";

const here = fileURLToPath(import.meta.url);

if (process.argv[2] === "--child") {
  const [, , , mode, url, out] = process.argv;
  const { readDataset, readDatasetInWorker, openDataJsonWriter } = await import("../dist/index.js");
  const spec = FEATURES.map((column) => (BOOL_FEATURES.includes(column) ? { column, kind: "boolean" } : { column }));
  const width = FEATURES.length;
  const weights = Float32Array.from({ length: width }, (_, k) => ((k % 7) - 3) / 100);
  const started = performance.now();
  const options = { features: spec, batchSize: 8192, tmpDir: tmpdir() };
  const reader = mode === "worker" ? readDatasetInWorker(url, options) : readDataset(url, options);
  const writer = await openDataJsonWriter(out, { category: "Predictions", properties: ["Rating"] });
  let scores = new Float32Array(8192);
  for await (const b of reader) {
    if (scores.length < b.rows) scores = new Float32Array(b.rows);
    const f = b.features;
    for (let r = 0; r < b.rows; r++) {
      let z = 0;
      for (let k = 0; k < width; k++) z += f[r * width + k] * weights[k];
      scores[r] = 1 / (1 + Math.exp(-z));
    }
    writer.writeScores(b.userIds, scores, b.rows);
  }
  const stats = reader.stats();
  await writer.close({ dedupe: stats.duplicates });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(JSON.stringify({ mode, rows: stats.rows, seconds, rssMb: process.resourceUsage().maxRSS / 1024 }) + "\n");
  process.exit(0);
}

const { values } = parseArgs({ options: { users: { type: "string", default: "1000000" }, reps: { type: "string", default: "3" } } });
const users = Number(values.users);
const reps = Number(values.reps);
const dir = join(tmpdir(), "batchkit-io-bench");
mkdirSync(dir, { recursive: true });
const file = join(dir, `slice-${users}.json`);
if (!existsSync(file)) {
  process.stderr.write(`generating ${users} users into ${file}\n`);
  await generate(file, users, 42);
}
const size = statSync(file).size;
// A plain static server in this (otherwise idle) process; the measured reader is in the child.
const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": String(size) });
  createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/slice.json?sig=bench`;

function child(mode) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [here, "--child", mode, url, join(dir, `data-${mode}.json`)], { stdio: ["ignore", "pipe", "inherit"] });
    let text = "";
    p.stdout.on("data", (d) => (text += d));
    p.on("error", reject);
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(text)) : reject(new Error(`${mode} child exited ${code}`))));
  });
}

const load0 = loadavg()[0];
const results = { thread: [], worker: [] };
for (let rep = 0; rep < reps; rep++) {
  for (const mode of rep % 2 === 0 ? ["thread", "worker"] : ["worker", "thread"]) {
    const r = await child(mode);
    if (r.rows !== users) throw new Error(`${mode} read ${r.rows} rows, expected ${users}`);
    results[mode].push(r);
    process.stderr.write(`rep ${rep + 1} ${mode}: ${(r.rows / r.seconds / 1000).toFixed(0)}k users/s, ${r.seconds.toFixed(2)} s, peak RSS ${r.rssMb.toFixed(0)} MB\n`);
  }
}
server.close();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const row = (mode) => {
  const s = median(results[mode].map((r) => r.seconds));
  return { s, ups: users / s, rss: median(results[mode].map((r) => r.rssMb)) };
};
const t = row("thread");
const w = row("worker");
console.log(`Machine: ${cpus().length} cores, Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z, load ${load0.toFixed(1)} -> ${loadavg()[0].toFixed(1)}; ${users.toLocaleString("en")} users (${(size / 1e6).toFixed(0)} MB) over loopback, ${reps} reps, medians\n`);
console.log("| reader | users/s | wall (s) | peak RSS (MB) |");
console.log("| --- | ---: | ---: | ---: |");
console.log(`| readDataset (main thread) | ${Math.round(t.ups).toLocaleString("en")} | ${t.s.toFixed(2)} | ${t.rss.toFixed(0)} |`);
console.log(`| readDatasetInWorker | ${Math.round(w.ups).toLocaleString("en")} | ${w.s.toFixed(2)} | ${w.rss.toFixed(0)} |`);
console.log(`\nworker / thread speed: ${(t.s / w.s).toFixed(2)}x`);
