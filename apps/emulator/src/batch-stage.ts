/**
 * The batch stage as the platform runs it: the users split by `random` into ranges of about maxBatchSize,
 * one plugin process per range with a concurrency limit, each uploaded data.json checked and applied.
 * Any batch that is not a success fails the stage, naming its range and status.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { contract, redactText, type Status } from "@batchkit/manifest";
import { applyDataJson, type BatchSlice, describeSlice } from "./apply-data-json.js";
import type { DatasetRef } from "./datasets.js";
import type { Emulator } from "./emulator.js";
import { EmulatorError } from "./errors.js";
import { buildManifest } from "./manifests.js";
import { type PluginCommand, type PluginRun, runPluginProcess } from "./plugin-process.js";
import type { ProgressState } from "./progress.js";
import type { PropertyStore } from "./store.js";

export interface BatchReport {
  batch: number;
  start: number;
  end: number;
  users: number;
  pluginMs: number;
  applyMs: number;
  exitCode: number | null;
  status: Status | null;
  peakRssBytes: number | null;
  dir: string;
  /** The last lines of the plugin's stderr (URLs redacted): its progress and summary. */
  stderrTail: string;
}

export interface BatchStageOptions {
  plugin: PluginCommand;
  runId: string;
  /** Where the batch process directories go. */
  runDir: string;
  maxBatchSize: number;
  concurrency?: number;
  /** Exact copy of the last `batches.options`. */
  options: Record<string, unknown>;
  /** The datasets of earlier stages; `latest` is added. */
  datasets: readonly DatasetRef[];
  /** Stages that ran before (their download URLs go into the manifest). */
  downloadStages: readonly string[];
  inputParams?: Record<string, unknown>;
  store: PropertyStore | null;
  /** Receives each user's score, by user index. */
  scores: Float64Array;
  env?: Record<string, string>;
  onProgress?: (p: ProgressState) => void;
  /** Stops the running batch processes (SIGTERM) and starts no more. */
  signal?: AbortSignal;
}

export interface BatchStageResult {
  batches: BatchReport[];
  usersScored: number;
  scoreProperty: string;
  category: string | null;
  wallMs: number;
  /** Time spent building dataset files before the first batch (not part of wallMs). */
  prepareMs: number;
  error: EmulatorError | null;
}

/** Ranges of about `maxBatchSize` users: bounds at the users' own `random` values, so sizes are exact. */
export function splitRanges(emulator: Emulator, maxBatchSize: number): BatchSlice[] {
  const n = emulator.project.users;
  const count = Math.max(1, Math.ceil(n / maxBatchSize));
  const size = Math.ceil(n / count);
  const slices: BatchSlice[] = [];
  for (let j = 0; j < count; j++) {
    const lo = Math.min(n, j * size);
    const hi = Math.min(n, (j + 1) * size);
    const start = j === 0 ? 0 : (emulator.project.randoms[lo] as number);
    const end = j === count - 1 ? 1 : (emulator.project.randoms[hi] as number);
    slices.push({ batch: j + 1, start, end, lo, hi });
  }
  return slices;
}

function statusText(run: PluginRun): string {
  const s = run.results?.status;
  if (s !== undefined && s !== null) {
    // The plugin's own words, with any signed URL it quoted cut at the query string.
    return redactText(`status ${s.code}${s.title === null ? "" : `: ${s.title}`}${s.explanation === null ? "" : ` (${s.explanation})`}`);
  }
  return `${run.resultsProblem ?? "no status"}; exit code ${run.exitCode ?? run.signal}`;
}

/** The failure of a plugin process, or null when it succeeded. */
export function processFailure(run: PluginRun, where: string, code: "EMULATOR_PLUGIN_FAILED" | "EMULATOR_BATCH_FAILED"): EmulatorError | null {
  const status = run.results?.status;
  if (status?.code === contract.successCode && run.exitCode === 0) return null;
  let message: string;
  if (status?.code === contract.successCode) {
    message = `${where}: the plugin exited with ${run.exitCode === null ? `signal ${run.signal}` : `code ${run.exitCode}`} although its status is success`;
  } else {
    message = `${where} failed: ${statusText(run)}`;
  }
  if (run.results === null && run.stderrTail !== "") message += `\n--- plugin stderr (last lines) ---\n${run.stderrTail.split("\n").slice(-15).join("\n")}`;
  return new EmulatorError(run.results === null ? "EMULATOR_PLUGIN_NO_RESULTS" : code, message, {
    hint: `See ${join(run.dir, "plugin.log")} for the plugin's output, and fix the plugin (or the fault that was injected).`,
    title: status?.title == null ? (run.results === null ? "Plugin wrote no usable results" : "Plugin stage failed") : redactText(status.title),
  });
}

export async function runBatchStage(emulator: Emulator, o: BatchStageOptions): Promise<BatchStageResult> {
  const prepareStarted = performance.now();
  const latest = emulator.datasets.register("latest", { type: "latest", seconds: 0 });
  const datasets = [...o.datasets.filter((d) => d.key !== "latest"), latest];
  // Build every rows file before the first process starts, so batches measure plugins, not generation.
  await Promise.all(datasets.map((d) => emulator.datasets.file(d)));
  const prepareMs = performance.now() - prepareStarted;
  const started = performance.now();
  const slices = splitRanges(emulator, o.maxBatchSize);
  const concurrency = Math.max(1, Math.floor(o.concurrency ?? availableParallelism()));
  const reports: BatchReport[] = [];
  const progress: ProgressState = { done: 0, total: slices.length, users: 0, failed: 0 };
  let error: EmulatorError | null = null;
  let scoreProperty: string = contract.predictionProperty;
  let category: string | null = null;
  let next = 0;
  const downloadUrls: Record<string, string> = {};
  for (const s of o.downloadStages) downloadUrls[s] = emulator.downloadUrl(s);
  o.onProgress?.(progress);

  const runOne = async (slice: BatchSlice): Promise<void> => {
    const label = String(slice.batch).padStart(5, "0");
    const prefix = `batch/${o.runId}/${label}`;
    const manifest = buildManifest({
      stage: "batch",
      baseUrl: emulator.url,
      users: emulator.project.users,
      datasets,
      range: { start: slice.start, end: slice.end },
      downloadUrls,
      uploadUrl: emulator.uploadUrl(prefix),
      options: o.options,
      ...(o.inputParams === undefined ? {} : { inputParams: o.inputParams }),
    });
    const run = await runPluginProcess({
      command: o.plugin,
      dir: join(o.runDir, `batch-${label}`),
      manifest,
      ...(o.env === undefined ? {} : { env: o.env }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
    const report: BatchReport = {
      batch: slice.batch,
      start: slice.start,
      end: slice.end,
      users: slice.hi - slice.lo,
      pluginMs: run.wallMs,
      applyMs: 0,
      exitCode: run.exitCode,
      status: run.results?.status ?? null,
      peakRssBytes: run.peakRssBytes,
      dir: run.dir,
      stderrTail: run.stderrTail,
    };
    reports.push(report);
    const failure = processFailure(run, describeSlice(slice), "EMULATOR_BATCH_FAILED");
    if (failure !== null) throw failure;
    const applyStarted = performance.now();
    const file = emulator.storedFile(prefix, contract.dataJsonPath);
    try {
      const applied = await applyDataJson(file, slice, emulator.project, o.store, o.runId, o.scores);
      scoreProperty = applied.scoreProperty;
      category = applied.category;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new EmulatorError("EMULATOR_DATA_JSON_MISSING", `${describeSlice(slice)}: the batch succeeded but uploaded no data.json`, {
          hint: `Upload data.json through getUploadUrls.batch (GET <url>/data.json answers the signed PUT URL) before writing a success status.`,
          title: "No data.json uploaded",
          cause: err,
        });
      }
      throw err;
    }
    report.applyMs = performance.now() - applyStarted;
    progress.users += slice.hi - slice.lo;
  };

  const worker = async (): Promise<void> => {
    while (error === null && next < slices.length && o.signal?.aborted !== true) {
      const slice = slices[next++] as BatchSlice;
      try {
        await runOne(slice);
      } catch (err) {
        progress.failed++;
        // The first failure wins: it is the one the user has to fix; later batches are not started.
        error ??=
          err instanceof EmulatorError
            ? err
            : new EmulatorError("EMULATOR_BATCH_FAILED", `${describeSlice(slice)}: ${(err as Error).message}`, {
                hint: "This is an emulator failure; rerun with --keep and look at the batch directory.",
                cause: err,
              });
      }
      progress.done++;
      o.onProgress?.(progress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, slices.length) }, () => worker()));
  if (error === null && progress.done < slices.length) {
    // Stopped by the signal before every batch ran: never a silently short stage.
    error = new EmulatorError("EMULATOR_BATCH_FAILED", `the batch stage was stopped with ${slices.length - progress.done} of ${slices.length} batches not run`, {
      hint: "Run the batch stage again without stopping it.",
      title: "Batch stage stopped",
    });
  }
  reports.sort((a, b) => a.batch - b.batch);
  return {
    batches: reports,
    usersScored: progress.users,
    scoreProperty,
    category,
    wallMs: performance.now() - started,
    prepareMs,
    error,
  };
}

