// The @batchkit/io benchmark: reader vs stream-json vs whole-body JSON.parse, from a file and from a
// loopback HTTP server, plus the data.json writer and a 10M-user run for flat memory.
// Runs on the built dist: `pnpm exec tsc -p tsconfig.build.json && pnpm bench [flags]`.
// Flags: --users=1000000 --big=10000000 (0 skips) --reps=3 --streamjson-users=100000 --keep
import { execFile } from "node:child_process";
import { createReadStream, existsSync, statSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { generate } from "./generate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const flags = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=")).map(([k, v]) => [k, v ?? "true"]));
const USERS = Number(flags.users ?? 1_000_000);
const BIG = Number(flags.big ?? 10_000_000);
const REPS = Number(flags.reps ?? 3);
const SJ_USERS = Number(flags["streamjson-users"] ?? 100_000);
const only = flags.only ? new Set(flags.only.split(",")) : undefined;
const workDir = join(here, "..", ".bench");
await mkdir(workDir, { recursive: true });

async function slice(users) {
  const path = join(workDir, `slice-${users}.json`);
  if (!existsSync(path)) {
    const t = Date.now();
    process.stderr.write(`generating ${users} users -> ${path} ... `);
    await generate(path, users);
    process.stderr.write(`${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
  return path;
}

// The loopback server streams files from disk, as a dataset endpoint would.
const server = createServer((req, res) => {
  const path = join(workDir, decodeURIComponent(new URL(req.url, "http://x").pathname.slice(1)));
  res.writeHead(200, { "content-type": "application/json", "content-length": String(statSync(path).size) });
  createReadStream(path, { highWaterMark: 1 << 20 }).pipe(res);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;
const urlOf = (path) => `${base}/${encodeURIComponent(path.split("/").pop())}?range_start_gt_or_eq=0&range_end_lt=1`;

const exec = promisify(execFile);
async function child(approach, source, users = "") {
  const { stdout } = await exec(process.execPath, ["--expose-gc", join(here, "child.mjs"), approach, source, String(users)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split("\n").pop());
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = [];
/** Runs jobs round-robin, `reps` rounds, so the noise of a shared machine falls on all of them alike. */
async function measureAll(jobs, reps) {
  const runs = jobs.map(() => []);
  for (let round = 0; round < reps; round++) {
    for (const [k, job] of jobs.entries()) {
      const r = await child(job.approach, job.source, job.users ?? "");
      runs[k].push(r);
      process.stderr.write(`  [${round + 1}/${reps}] ${job.label}: ${Math.round(r.usersPerSec).toLocaleString("en-US")} users/s (${Math.round(r.usersPerCpuSec).toLocaleString("en-US")} per CPU-s), ${r.peakRssMB.toFixed(0)} MB\n`);
    }
  }
  return jobs.map((job, k) => {
    const rs = runs[k];
    const row = {
      ...job,
      users: rs[0].users,
      usersPerSec: median(rs.map((r) => r.usersPerSec)),
      min: Math.min(...rs.map((r) => r.usersPerSec)),
      max: Math.max(...rs.map((r) => r.usersPerSec)),
      usersPerCpuSec: median(rs.map((r) => r.usersPerCpuSec)),
      peakRssMB: median(rs.map((r) => r.peakRssMB)),
      duplicateMemoryMB: rs[0].duplicateMemoryMB,
      duplicateDiskMB: rs[0].duplicateDiskMB,
      reps,
    };
    results.push(row);
    return row;
  });
}

const small = await slice(USERS);
const sj = await slice(SJ_USERS);
process.stderr.write(`node ${process.version}, ${cpus().length} cores, ${USERS} users (${(statSync(small).size / 2 ** 20).toFixed(0)} MB)\n`);

let jobs = [
  { label: "reader, file", approach: "reader-file", source: small },
  { label: "reader, file, decodeThreads 1 (a worker + this thread)", approach: "reader-file-parallel", source: small },
  { label: "reader, fs.createReadStream", approach: "reader-stream", source: small },
  { label: "reader, HTTP", approach: "reader-http", source: urlOf(small) },
  { label: "reader, HTTP, decodeThreads 1", approach: "reader-http-parallel", source: urlOf(small) },
  { label: "readDatasetInWorker, HTTP (download + decode in a worker)", approach: "reader-http-worker", source: urlOf(small) },
  { label: "reader, file, duplicate tracking off", approach: "reader-file-nodup", source: small },
  { label: "reader, from memory (decoder alone)", approach: "reader-memory", source: small },
  { label: "whole-body JSON.parse, file", approach: "jsonparse-file", source: small },
  { label: "whole-body JSON.parse, HTTP", approach: "jsonparse-http", source: urlOf(small) },
  { label: `stream-json pick+streamArray, file (${SJ_USERS.toLocaleString("en-US")} users)`, approach: "streamjson-file", source: sj },
  { label: "data.json writer (writeScores)", approach: "writer", source: workDir, users: USERS },
  { label: "data.json writer, 1% repeated ids, close({ dedupe })", approach: "writer-dedupe", source: workDir, users: USERS },
];
if (only) jobs = jobs.filter((j) => only.has(j.approach));
const firstSet = await measureAll(jobs, REPS);
const pick = (approach) => firstSet.find((r) => r.approach === approach);
const [readerFile, readerHttp, parseFile, parseHttp, sjFile] = ["reader-file", "reader-http", "jsonparse-file", "jsonparse-http", "streamjson-file"].map(pick);
if (BIG > 0) {
  const big = await slice(BIG);
  let bigJobs = [
    { label: `reader, file, ${BIG.toLocaleString("en-US")} users`, approach: "reader-file", source: big },
    { label: `reader, file, ${BIG.toLocaleString("en-US")} users, decodeThreads 1`, approach: "reader-file-parallel", source: big },
    { label: `reader, HTTP, ${BIG.toLocaleString("en-US")} users`, approach: "reader-http", source: urlOf(big) },
    { label: `reader, HTTP, ${BIG.toLocaleString("en-US")} users, decodeThreads 1`, approach: "reader-http-parallel", source: urlOf(big) },
    { label: `readDatasetInWorker, HTTP, ${BIG.toLocaleString("en-US")} users`, approach: "reader-http-worker", source: urlOf(big) },
    { label: `data.json writer, ${BIG.toLocaleString("en-US")} users`, approach: "writer", source: workDir, users: BIG },
  ];
  if (only) bigJobs = bigJobs.filter((j) => only.has(j.approach));
  await measureAll(bigJobs, Number(flags["big-reps"] ?? 1));
  if (!flags.keep) await rm(big, { force: true });
}
server.close();

await writeFile(join(workDir, "results.json"), JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: cpus().length, results }, null, 2));
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const mb = (x) => (typeof x === "number" ? x.toFixed(1) : "");
const lines = ["| approach | users | users/s (median) | min-max | users per CPU-second | peak RSS (MB) | dup ids: memory / temp file (MB) | runs |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"];
for (const r of results) lines.push(`| ${r.label} | ${fmt(r.users)} | ${fmt(r.usersPerSec)} | ${fmt(r.min)}-${fmt(r.max)} | ${fmt(r.usersPerCpuSec)} | ${r.peakRssMB.toFixed(0)} | ${r.duplicateMemoryMB === undefined ? "" : `${mb(r.duplicateMemoryMB)} / ${mb(r.duplicateDiskMB)}`} | ${r.reps} |`);
const ratio = (a, b, key = "usersPerSec") => (a && b ? `${(a[key] / b[key]).toFixed(2)}x` : "n/a");
lines.push(
  "",
  `reader / whole-body JSON.parse: file ${ratio(readerFile, parseFile)} (per CPU-second ${ratio(readerFile, parseFile, "usersPerCpuSec")}), HTTP ${ratio(readerHttp, parseHttp)} (${ratio(readerHttp, parseHttp, "usersPerCpuSec")})`,
  `reader / stream-json (file): ${ratio(readerFile, sjFile)} (${ratio(readerFile, sjFile, "usersPerCpuSec")})`,
);
console.log(lines.join("\n"));
if (!flags.keep) await rm(join(workDir, `slice-${SJ_USERS}.json`), { force: true });
