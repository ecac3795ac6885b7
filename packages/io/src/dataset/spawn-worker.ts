/**
 * Starts one of this package's worker entries (dataset-worker, decode-worker) from the built .js files, or
 * from the TypeScript sources when the package runs from them (vitest, tsx).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker, type ResourceLimits } from "node:worker_threads";

/** `entry` is the module's base name next to this file, e.g. "decode-worker". */
export function spawnWorker(entry: string, workerData: unknown, resourceLimits: ResourceLimits): Worker {
  const here = import.meta.url;
  if (here.endsWith(".ts")) return startSourceWorker(here, entry, workerData, resourceLimits);
  return new Worker(new URL(`./${entry}.js`, here), { workerData, resourceLimits });
}

/**
 * From sources the worker must load TypeScript. On Node 20 `--import tsx` in a worker's execArgv does not
 * reach the worker's entry module, so a tiny eval'd entry registers tsx's ESM hooks first and then imports
 * the .ts worker. tsx is resolved from this package, not from the cwd (a stage may have changed it),
 * through its exports map's "import" entry.
 */
function startSourceWorker(here: string, entry: string, workerData: unknown, resourceLimits: ResourceLimits): Worker {
  const require = createRequire(here);
  const manifestPath = require.resolve("tsx/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { exports: Record<string, { import: { default: string } }> };
  const api = pathToFileURL(join(dirname(manifestPath), manifest.exports["./esm/api"]!.import.default)).href;
  const url = new URL(`./${entry}.ts`, here).href;
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(code, { eval: true, workerData, resourceLimits, execArgv: ["--conditions=@batchkit/source"] });
}
