// End-to-end batch stage benchmark: one batch process on the whole slice (maxBatchSize = users), served by
// the emulator over loopback, for the reference plugin and two naive baselines, in the same run.
//   node bench/run.mjs [--sizes 1000000,10000000] [--variants reference,naive-parse,naive-stream] [--seed 42]
//                      [--runs 3] [--keep --work-dir DIR] [--plugin NAME=path/to/main.js ...]
// Run on the built dist (pnpm turbo run build --filter @batchkit/emulator...). Peak RSS of each plugin
// process is GNU time's %M (max resident set, KB). Prints a markdown table for BENCHMARKS.md.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import os, { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { auc, defaultPluginCommand, Emulator, runBatchStage, runLifecycle } from "../dist/index.js";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000000,10000000" },
    variants: { type: "string" },
    seed: { type: "string", default: "42" },
    "work-dir": { type: "string" },
    // A plugin slower than this is stopped and reported as such, so the bench always ends.
    "timeout-s": { type: "string", default: "900" },
    // Keep the work dir (with the generated datasets) for the next run: pass the same --work-dir.
    keep: { type: "boolean", default: false },
    // Each variant this many times, round-robin; the table gives medians and every run.
    runs: { type: "string", default: "1" },
    // More plugins to compare, side by side with the others (e.g. a build of another commit, your own):
    // --plugin before=/tmp/old/apps/conversion-prediction/dist/main.js; they are variants named NAME.
    plugin: { type: "string", multiple: true, default: [] },
  },
});
const sizes = values.sizes.split(",").map((s) => Number(s.replace(/_/g, "")));
const seed = Number(values.seed);
const here = fileURLToPath(new URL(".", import.meta.url));
const work = values["work-dir"] ?? join(tmpdir(), `batchkit-emulator-bench-${process.pid}`);
mkdirSync(work, { recursive: true });
const TIME = "/usr/bin/time";
const hasTime = existsSync(TIME);
const MAX_STRING = 0x1fffffe8; // V8's longest string: a whole-body JSON.parse cannot go past it

const allVariants = {
  // PLUGIN_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the plugin process alone.
  reference: { label: "reference plugin (@batchkit/conversion-prediction)", command: withNodeArgs(defaultPluginCommand()) },
  "naive-parse": { label: "naive: whole-body JSON.parse + JSON.stringify", command: [process.execPath, join(here, "naive-batch.mjs"), "parse"] },
  "naive-stream": { label: "naive: stream-json parser + pick + streamArray", command: [process.execPath, join(here, "naive-batch.mjs"), "stream"] },
};

for (const spec of values.plugin) {
  const at = spec.indexOf("=");
  if (at <= 0) throw new Error(`--plugin takes NAME=path/to/main.js, got ${spec}`);
  allVariants[spec.slice(0, at)] = { label: `plugin ${spec.slice(at + 1)}`, command: withNodeArgs([process.execPath, spec.slice(at + 1)]) };
}

function withNodeArgs([node, ...rest]) {
  const extra = process.env.PLUGIN_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  return [node, ...extra, ...rest];
}

function log(line) {
  process.stderr.write(`${line}\n`);
}

// 1. A trained model: the reference plugin's own initial + trainMore on a small project of the same seed.
log(`training: reference lifecycle on 20,000 users (seed ${seed})`);
const trainDir = join(work, "train");
const trained = await runLifecycle({ plugin: defaultPluginCommand(), users: 20_000, seed, maxBatchSize: 20_000, concurrency: 1, workDir: trainDir, store: false });
if (!trained.ok) throw new Error(`training run failed: ${trained.error?.message}`);
const options = trained.batchesRequest?.options ?? {};

const rows = [];
const loadBefore = os.loadavg();
for (const users of sizes) {
  const dir = join(work, `users-${users}`);
  const emulator = await Emulator.start({ users, seed, workDir: dir });
  try {
    // The same project id (same seed): the trained files are where downloadUrls point.
    cpSync(join(trainDir, "storage", emulator.projectId), join(dir, "storage", emulator.projectId), {
      recursive: true,
      filter: (src) => !src.includes(`${emulator.projectId}/batch`),
    });
    const latest = emulator.datasets.register("latest", { type: "latest", seconds: 0 });
    const t0 = performance.now();
    const file = await emulator.datasets.file(latest);
    const genMs = performance.now() - t0;
    log(`users ${users}: generated the latest dataset (${(file.bytes / 1e6).toFixed(0)} MB) in ${(genMs / 1000).toFixed(1)} s`);

    rows.push({ users, variant: "emulator: generate and cache the dataset (once per project)", usersPerSec: users / (genMs / 1000), wallS: genMs / 1000, rssMb: null, auc: null, note: `${(file.bytes / 1e6).toFixed(0)} MB rows file` });
    // The emulator alone: curl the whole slice to /dev/null.
    const url = `${emulator.url}/api/plugin/query_dataset/${latest.id}?range_start_gt_or_eq=0&range_end_lt=1`;
    const curl = await new Promise((resolve) => {
      const started = performance.now();
      // Spawned (not spawnSync), so the emulator on this event loop keeps serving while curl reads.
      const child = spawn("curl", ["-s", "-o", "/dev/null", "-w", "%{size_download}", url]);
      let out = "";
      child.stdout.on("data", (c) => (out += c));
      child.on("close", () => resolve({ ms: performance.now() - started, bytes: Number(out) }));
    });
    rows.push({ users, variant: "emulator serving only (curl > /dev/null)", usersPerSec: users / (curl.ms / 1000), wallS: curl.ms / 1000, rssMb: null, auc: null, note: `${(curl.bytes / 1e6 / (curl.ms / 1000)).toFixed(0)} MB/s` });

    // stream-json runs at ~5-20k users/s here: at 10M that is 10+ minutes, so it is opt-in above 1M.
    const wanted = values.variants?.split(",") ?? (users > 1_000_000 ? ["reference", "naive-parse", "naive-stream-skipped"] : Object.keys(allVariants));
    // --runs N: every variant N times, round-robin (so the machine's noise falls on all alike), medians reported.
    const runs = Math.max(1, Number(values.runs));
    const measured = new Map();
    for (let round = 0; round < runs; round++) {
      for (const name of wanted) {
        if (name === "naive-stream-skipped") {
          if (round === 0) rows.push({ users, variant: allVariants["naive-stream"].label, usersPerSec: null, wallS: null, rssMb: null, auc: null, note: "not run by default above 1M users (too slow); --variants naive-stream runs it" });
          continue;
        }
        const v = allVariants[name];
        if (v === undefined) throw new Error(`unknown variant ${name}`);
        if (name === "naive-parse" && file.bytes > MAX_STRING) {
          if (round === 0) rows.push({ users, variant: v.label, usersPerSec: null, wallS: null, rssMb: null, auc: null, note: `cannot run: the ${(file.bytes / 1e9).toFixed(1)} GB body exceeds V8's 512 MiB string limit` });
          continue;
        }
        const row = await runVariant(emulator, dir, users, name, v);
        if (!measured.has(name)) measured.set(name, []);
        measured.get(name).push(row);
      }
    }
    for (const list of measured.values()) rows.push(runs === 1 ? list[0] : medianRow(list));
  } finally {
    await emulator.stop();
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}
if (!values.keep) rmSync(work, { recursive: true, force: true });

/** One batch process of one variant on the whole slice; returns its table row. */
async function runVariant(emulator, dir, users, name, v) {
  const rssFile = join(dir, `rss-${name}.txt`);
  const command = hasTime ? [TIME, "-f", "%M %U %S", "-o", rssFile, ...v.command] : v.command;
  const scores = new Float64Array(users).fill(Number.NaN);
  log(`users ${users}: ${name} ...`);
  const result = await runBatchStage(emulator, {
    plugin: command,
    runId: `bench-${name}`,
    runDir: join(dir, "runs", name),
    maxBatchSize: users,
    concurrency: 1,
    options,
    datasets: [],
    downloadStages: ["initial", "trainMore"],
    store: null,
    scores,
    signal: AbortSignal.timeout(Number(values["timeout-s"]) * 1000),
  });
  const batch = result.batches[0];
  // GNU time's last line: max RSS (KB), user and system CPU seconds of the plugin process (all its threads).
  const timeLine = hasTime && existsSync(rssFile) ? readFileSync(rssFile, "utf8").trim().split("\n").pop().split(" ").map(Number) : null;
  const rssKb = timeLine === null ? null : timeLine[0];
  const cpuS = timeLine === null || timeLine.length < 3 ? null : timeLine[1] + timeLine[2];
  const ok = result.error === null;
  const row = {
    users,
    variant: v.label,
    usersPerSec: ok ? users / (batch.pluginMs / 1000) : null,
    wallS: batch.pluginMs / 1000,
    // GNU time's %M when it wrote one, else the /proc VmHWM samples (none when the wrapper was stopped).
    rssMb: rssKb !== null && Number.isFinite(rssKb) ? rssKb / 1024 : ok && batch.peakRssBytes !== null ? batch.peakRssBytes / 2 ** 20 : null,
    auc: ok ? auc(scores, emulator.project.labels()) : null,
    note: ok
      ? `checked exactly once; plugin CPU ${cpuS === null ? "?" : `${cpuS.toFixed(1)} s`}; applying data.json took ${(batch.applyMs / 1000).toFixed(1)} s`
      : batch.pluginMs >= Number(values["timeout-s"]) * 1000 - 1000
        ? `stopped after the --timeout-s of ${values["timeout-s"]} s`
        : `FAILED: ${result.error.message.split("\n")[0]}`,
  };
  log(`  -> ${JSON.stringify(row)}`);
  // The plugin's own summary line (its timings inside the process).
  const summary = batch.stderrTail.split("\n").filter((l) => /scored|summary|timing/i.test(l)).slice(-3);
  for (const line of summary) log(`     plugin: ${line.slice(0, 600)}`);
  rmSync(join(dir, "runs", name), { recursive: true, force: true });
  return row;
}

/** The median row of several runs of one variant; the note lists every run. */
function medianRow(list) {
  const med = (xs) => {
    const s = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
    return s.length === 0 ? null : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const fmtRun = (r) => (r.usersPerSec === null ? "failed" : `${Math.round(r.usersPerSec).toLocaleString("en-US")} (${r.rssMb === null ? "?" : r.rssMb.toFixed(0)} MB)`);
  return {
    ...list[0],
    usersPerSec: med(list.map((r) => r.usersPerSec)),
    wallS: med(list.map((r) => r.wallS)),
    rssMb: med(list.map((r) => r.rssMb)),
    note: `median of ${list.length} runs: ${list.map(fmtRun).join(" / ")}; ${list[0].note}`,
  };
}

const fmt = (n, d = 0) => (n === null || !Number.isFinite(n) ? "-" : n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }));
const lines = [
  `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), Node ${process.version}, ${new Date().toISOString().slice(0, 16)}Z, ` +
    `load average ${loadBefore[0]?.toFixed(1)} at the start and ${os.loadavg()[0]?.toFixed(1)} at the end (shared machine)`,
  "",
  "| users | batch stage | users/s | wall (s) | peak RSS (MB) | AUC | note |",
  "| ---: | --- | ---: | ---: | ---: | ---: | --- |",
  ...rows.map((r) => `| ${fmt(r.users)} | ${r.variant} | ${fmt(r.usersPerSec)} | ${fmt(r.wallS, 1)} | ${fmt(r.rssMb)} | ${fmt(r.auc, 3)} | ${r.note} |`),
];
process.stdout.write(`${lines.join("\n")}\n`);
