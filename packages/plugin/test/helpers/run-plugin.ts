import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));
const fixture = fileURLToPath(new URL("../fixtures/fixture-plugin.ts", import.meta.url));

const dirs: string[] = [];

/** Removes the temp folders of every run so far (call from afterAll). */
export async function removeRunDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export interface PluginRun {
  code: number | null;
  stderr: string;
  dir: string;
  results: unknown;
  files: string[];
}

/** Runs the fixture plugin as the platform does: `<program> manifest.json results.json`, from sources. */
export async function runFixture(
  manifest: unknown,
  options: { resultsPath?: (dir: string) => string; args?: (m: string, r: string) => string[]; onSpawn?: (kill: (s: NodeJS.Signals) => void, stderr: () => string) => void } = {},
): Promise<PluginRun> {
  const dir = await mkdtemp(join(tmpdir(), "batchkit-plugin-"));
  dirs.push(dir);
  const manifestPath = join(dir, "manifest.json");
  await writeFile(manifestPath, typeof manifest === "string" ? manifest : JSON.stringify(manifest));
  const resultsPath = options.resultsPath ? options.resultsPath(dir) : join(dir, "results.json");
  const args = options.args ? options.args(manifestPath, resultsPath) : [manifestPath, resultsPath];
  const child = spawn(process.execPath, ["--conditions=@batchkit/source", "--import", "tsx", fixture, ...args], {
    cwd: packageDir,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  options.onSpawn?.((s) => child.kill(s), () => stderr);
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  const files = (await readdir(dir)).sort();
  let results: unknown;
  try {
    results = JSON.parse(await readFile(join(dir, "results.json"), "utf8"));
  } catch {
    results = undefined;
  }
  return { code, stderr, dir, results, files };
}
