// Benchmarks of the conversion-prediction plugin, run through the built dist/ (pnpm build first):
//   A. scoring: users/s of the batch stage's one onnxruntime session per sub-batch size, beside a plain
//      TypeScript dot product, on a 30-input logistic model;
//   B. the batch stage as the platform runs it (`node dist/main.js manifest.json results.json`) on a
//      generated slice served from loopback: download, decode, score, write, dedupe, upload; wall time
//      and peak RSS (/usr/bin/time) per sub-batch size;
//   C. where the stage's time goes, in this process on the same slice: the reader alone, + scoring,
//      + writing data.json (with the dedupe table).
// Usage: node bench/run.mjs [--users 1000000] [--runs 3] [--skip-stage]
import { spawn } from "node:child_process";
import { createReadStream, rmSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { openDataJsonWriter, readDataset } from "@batchkit/io";
import { exportLogisticModel, loadScoringModel, predictLogistic } from "../dist/index.js";
// The reference slice of @batchkit/io's bench (platform columns + 10 boolean, 10 float, 10 integer features).
import { FEATURES as features, generate as writeSlice } from "@batchkit/io/reference-slice";

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const users = flag("users", 1_000_000);
const runs = flag("runs", 3);
const skipStage = args.includes("--skip-stage");
const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const tempDirs = [];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString("en-US");

// One model for both parts: booleans as they are, numbers standardised, as trainMore would export.
const pipeline = {
  features: features.map((column) =>
    column.startsWith("feature_b")
      ? { column, kind: "boolean", fill: 0.5, center: 0, scale: 1 }
      : { column, kind: "number", fill: 500, center: 500, scale: 1 / 288 },
  ),
};
const model = {
  intercept: -1.4,
  weights: Float64Array.from(features, (_, k) => ((k * 37) % 11) / 20 - 0.25),
  iterations: 0,
  converged: true,
};
const onnx = exportLogisticModel(pipeline, model);

async function scoringBench() {
  const width = features.length;
  const rows = Math.min(users, 1_000_000);
  const inputs = new Float32Array(rows * width);
  for (let i = 0; i < inputs.length; i++) inputs[i] = (i * 2654435761) % 1000;
  const results = [];
  for (const subBatch of [1024, 8192, 65536]) {
    const scorer = await loadScoringModel(onnx, { featureCount: width });
    const times = [];
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      for (let start = 0; start < rows; start += subBatch) {
        const count = Math.min(subBatch, rows - start);
        await scorer.score(inputs.subarray(start * width, (start + count) * width), count);
      }
      times.push(performance.now() - t0);
    }
    await scorer.release();
    results.push({ variant: `onnxruntime, sub-batch ${subBatch}`, ms: median(times) });
  }
  // The same model in TypeScript (standardise + dot product in float64), for scale.
  const times = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const { center, scale } = { center: pipeline.features.map((f) => f.center), scale: pipeline.features.map((f) => f.scale) };
    const design = new Float32Array(inputs.length);
    for (let i = 0; i < rows; i++) for (let j = 0; j < width; j++) design[i * width + j] = (inputs[i * width + j] - center[j]) * scale[j];
    predictLogistic(model, { values: design, rows, width });
    times.push(performance.now() - t0);
  }
  results.push({ variant: "TypeScript loop (reference)", ms: median(times) });
  console.log(`\n## A. Scoring ${fmt(rows)} users x ${width} inputs (median of ${runs})\n`);
  console.log("| variant | ms | users/s | vs sub-batch 8192 |\n| --- | --- | --- | --- |");
  const ref = results[1].ms;
  for (const r of results) console.log(`| ${r.variant} | ${r.ms.toFixed(1)} | ${fmt((rows / r.ms) * 1000)} | ${(ref / r.ms).toFixed(2)}x |`);
}

async function stageBench() {
  const dir = await mkdtemp(join(tmpdir(), "conversion-prediction-bench-"));
  tempDirs.push(dir);
  const slicePath = join(dir, "slice.json");
  const t0 = performance.now();
  const bytes = await writeSlice(slicePath, users);
  console.log(`\n(generated ${fmt(users)} users, ${(bytes / 1e6).toFixed(0)} MB, in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  await writeFile(join(dir, "model.onnx"), onnx);
  let uploaded = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/slice") {
      res.writeHead(200, { "content-type": "application/json", "content-length": bytes });
      createReadStream(slicePath).pipe(res);
    } else if (req.method === "GET" && url.pathname === "/files/trainMore/model.onnx") {
      readFile(join(dir, "model.onnx")).then((b) => res.end(b));
    } else if (req.method === "GET" && url.pathname.startsWith("/upload_url/")) {
      res.end(`http://127.0.0.1:${server.address().port}/storage/data.json?sig=bench`);
    } else if (req.method === "PUT") {
      uploaded = 0;
      req.on("data", (c) => (uploaded += c.length));
      req.on("end", () => res.end());
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  const rowsOut = [];
  for (const subBatchSize of [8192, 65536]) {
    const walls = [];
    const rss = [];
    const inner = [];
    for (let r = 0; r < runs; r++) {
      const cwd = await mkdtemp(join(dir, "run-"));
      const manifest = {
        stage: "batch",
        dataUrls: { initial: `${base}/slice?range_start_gt_or_eq=0&range_end_lt=1` },
        downloadUrls: { trainMore: `${base}/files/trainMore` },
        getUploadUrls: { batch: `${base}/upload_url/batch` },
        options: { model: "model.onnx", features, fill: 0, subBatchSize },
        metadata: { datasets: { initial: { fullDatasetSize: users } } },
      };
      await writeFile(join(cwd, "manifest.json"), JSON.stringify(manifest));
      // Asynchronous spawn: the server on this thread must keep answering the child.
      const result = await runChild(cwd);
      const last = result.stderr.trim().split("\n").at(-1) ?? "";
      const [wall, kb] = last.split(" ").map(Number);
      const status = JSON.parse(await readFile(join(cwd, "results.json"), "utf8")).status.code;
      if (status !== "success") throw new Error(`batch stage failed:\n${result.stderr}`);
      walls.push(wall);
      rss.push(kb / 1024);
      // The stage's own time (download to upload), without process start and module loading.
      inner.push(Number(/scored .* seconds=([\d.]+)/.exec(result.stderr)?.[1] ?? Number.NaN));
      await rm(cwd, { recursive: true, force: true });
    }
    rowsOut.push({ subBatchSize, wall: median(walls), stage: median(inner), rss: Math.max(...rss), upload: uploaded });
  }
  const phases = [];
  const scorer = await loadScoringModel(onnx, { featureCount: features.length });
  // One untimed pass first, so that JIT warm-up is not charged to the first phase.
  for await (const _ of readDataset(`${base}/slice`, { features: features.map((column) => ({ column })), tmpDir: dir })) void _;
  for (const mode of ["read", "read + score", "read + score + write"]) {
    const times = [];
    for (let r = 0; r < runs; r++) {
      const t1 = performance.now();
      const reader = readDataset(`${base}/slice`, { features: features.map((column) => ({ column })), tmpDir: dir, trackDuplicates: mode.endsWith("write") });
      const writer = mode.endsWith("write") ? await openDataJsonWriter(join(dir, "data.json"), { category: "Predictions", properties: ["Rating"] }) : undefined;
      for await (const batch of reader) {
        if (mode === "read") continue;
        const scores = await scorer.score(batch.features, batch.rows);
        writer?.writeScores(batch.userIds, scores, batch.rows);
      }
      await writer?.close({ dedupe: reader.stats().duplicates });
      times.push(performance.now() - t1);
    }
    phases.push({ mode, ms: median(times) });
  }
  await scorer.release();
  server.close();
  console.log(`\n## C. In-process phases, ${fmt(users)} users from loopback (median of ${runs})\n`);
  console.log("| phases | s | users/s | vs read only |\n| --- | --- | --- | --- |");
  for (const p of phases) console.log(`| ${p.mode} | ${(p.ms / 1000).toFixed(2)} | ${fmt((users / p.ms) * 1000)} | ${(p.ms / phases[0].ms).toFixed(2)}x |`);
  console.log(`\n## B. Batch stage, ${fmt(users)}-user slice from loopback (median of ${runs}; RSS = max)\n`);
  console.log("| sub-batch | process wall s | users/s (wall) | stage s | users/s (stage) | peak RSS MB | data.json MB |");
  console.log("| --- | --- | --- | --- | --- | --- | --- |");
  for (const r of rowsOut) {
    const cells = [r.subBatchSize, r.wall.toFixed(2), fmt(users / r.wall), r.stage.toFixed(2), fmt(users / r.stage), r.rss.toFixed(0), (r.upload / 1e6).toFixed(1)];
    console.log(`| ${cells.join(" | ")} |`);
  }
  await rm(dir, { recursive: true, force: true });
}

function runChild(cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-f", "%e %M", process.execPath, join(packageDir, "dist/main.js"), "manifest.json", "results.json"], { cwd });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("close", () => resolve({ stderr }));
  });
}

process.on("exit", () => {
  // A failed run leaves its slice behind otherwise (hundreds of MB).
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

console.log(`# conversion-prediction bench: ${new Date().toISOString()}, Node ${process.version}, ${cpus().length} cores`);
await scoringBench();
if (!skipStage) await stageBench();
