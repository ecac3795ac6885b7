import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { Results } from "@batchkit/manifest";
import { createConversionPlugin } from "../../src/plugin.js";

export interface StageRun {
  exitCode: number;
  results: Results;
  log: string;
  /** Files left in the working directory after the run. */
  files: string[];
  cwd: string;
}

/** Fast retries so that failure tests do not wait on the production backoff. */
export const testHttp = { retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 20 } };

/**
 * Runs one stage in-process, as the platform would: manifest.json and results.json in a fresh working
 * directory, which is also the process's cwd during the run (the plugin writes only there).
 */
export async function runStage(manifest: Record<string, unknown>): Promise<StageRun> {
  const cwd = await mkdtemp(join(tmpdir(), "conversion-prediction-run-"));
  await writeFile(join(cwd, "manifest.json"), JSON.stringify(manifest));
  let log = "";
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log += chunk.toString();
      done();
    },
  });
  const plugin = createConversionPlugin({ http: testHttp, logStream });
  const previous = process.cwd();
  process.chdir(cwd);
  let exitCode: number;
  try {
    exitCode = await plugin.main(["main", "manifest.json", "results.json"]);
  } finally {
    process.chdir(previous);
  }
  const results = JSON.parse(await readFile(join(cwd, "results.json"), "utf8")) as Results;
  const files = (await readdir(cwd)).sort();
  return { exitCode, results, log, files, cwd };
}

export async function cleanRun(run: StageRun): Promise<void> {
  await rm(run.cwd, { recursive: true, force: true });
}
