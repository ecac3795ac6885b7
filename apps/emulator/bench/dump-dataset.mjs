// Writes the demo project's `latest` dataset body (as the emulator serves it) to a file, for decoder
// benchmarks on realistic rows: node bench/dump-dataset.mjs [users] [out.json]  (after building the emulator)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Emulator } from "../dist/index.js";

const users = Number(process.argv[2] ?? 1_000_000);
const out = process.argv[3] ?? join(tmpdir(), `emulator-latest-${users}.json`);
const workDir = mkdtempSync(join(tmpdir(), "emulator-dump-"));
const emulator = await Emulator.start({ users, seed: 42, workDir });
try {
  const latest = emulator.datasets.register("latest", { type: "latest", seconds: 0 });
  await emulator.datasets.file(latest);
  const url = `${emulator.url}/api/plugin/query_dataset/${latest.id}?range_start_gt_or_eq=0&range_end_lt=1`;
  // curl, so the emulator on this event loop keeps serving while the body is written.
  await new Promise((resolve, reject) => spawn("curl", ["-sf", "-o", out, url], { stdio: "inherit" }).on("close", (code) => (code === 0 ? resolve() : reject(new Error(`curl exited ${code}`)))));
  process.stderr.write(`${out}\n`);
} finally {
  await emulator.stop();
  rmSync(workDir, { recursive: true, force: true });
}
