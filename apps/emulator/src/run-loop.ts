/**
 * The whole plugin lifecycle, as the platform runs it: `initial`, then the stages it asks for (in parallel,
 * one round), then the batch stage with the last `batches` given. Ends with a summary, or with the first
 * failure, named (never a silently incomplete run).
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Batches, contract, type Results, type Status } from "@batchkit/manifest";
import { type BatchReport, processFailure, runBatchStage } from "./batch-stage.js";
import { type DatasetRef, INITIAL_KINDS, type Moment } from "./datasets.js";
import { Emulator, type EmulatorOptions } from "./emulator.js";
import { EmulatorError } from "./errors.js";
import { buildManifest } from "./manifests.js";
import { describeCommand, type PluginCommand, runPluginProcess } from "./plugin-process.js";
import type { ProgressState } from "./progress.js";
import { PropertyStore, STORE_FILE } from "./store.js";
import { auc, distribution, type RunSummary, type StageTiming } from "./summary.js";

export interface LifecycleOptions extends EmulatorOptions {
  /** The plugin: a command line (manifest.json results.json are appended) or an argv array. */
  plugin: PluginCommand;
  /** Run against this emulator instead of starting one (its users/seed/faults then apply). */
  emulator?: Emulator;
  /** Overrides the plugin's `batches.maxBatchSize`. */
  maxBatchSize?: number;
  /** Batch processes at a time (default: the number of cores). */
  concurrency?: number;
  /** Which initial dataset (`POST initial_dataset/<kind>`), default 0_sec. */
  initialDataset?: keyof typeof INITIAL_KINDS;
  inputParams?: Record<string, unknown>;
  /** Extra environment for the plugin processes. */
  env?: Record<string, string>;
  /** Write the user properties to SQLite (default true). */
  store?: boolean;
  onProgress?: (p: ProgressState) => void;
  /** Stage-level progress lines (default silent). */
  onStage?: (line: string) => void;
}

export interface StageReport {
  stage: string;
  wallMs: number;
  exitCode: number | null;
  status: Status | null;
  peakRssBytes: number | null;
  dir: string;
}

export interface LifecycleResult {
  ok: boolean;
  runId: string;
  error: EmulatorError | null;
  stages: StageReport[];
  batches: BatchReport[];
  /** The `batches` the batch stage ran with (null when the plugin asked for none). */
  batchesRequest: Batches | null;
  summary: RunSummary | null;
  workDir: string;
  storePath: string | null;
}

function validateOptions(o: LifecycleOptions): void {
  if (o.maxBatchSize !== undefined) {
    if (!Number.isInteger(o.maxBatchSize) || o.maxBatchSize < 1 || o.maxBatchSize > contract.maxMaxBatchSize) {
      throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `maxBatchSize must be a whole number in 1..${contract.maxMaxBatchSize}, got ${o.maxBatchSize}`, {
        hint: "Pass --max-batch-size with a whole number such as 10000.",
      });
    }
  }
  if (o.concurrency !== undefined && (!Number.isInteger(o.concurrency) || o.concurrency < 1)) {
    throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `concurrency must be a whole number >= 1, got ${o.concurrency}`, {
      hint: "Pass --concurrency with a whole number such as 2.",
    });
  }
  if (o.initialDataset !== undefined && INITIAL_KINDS[o.initialDataset] === undefined) {
    throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `initial dataset must be one of ${Object.keys(INITIAL_KINDS).join(", ")}`, {
      hint: "Pass --initial-dataset 0_sec, latest or 95_pct.",
    });
  }
}

/** The datasets a stage asked for in `results.stages`, registered under their keys. */
function requestedDatasets(emulator: Emulator, stage: string, request: Record<string, { moment: { type: string; seconds: number } }>): DatasetRef[] {
  return Object.entries(request).map(([key, d]) => {
    let moment: Moment;
    if (d.moment.type === "since") moment = { type: "since", seconds: d.moment.seconds };
    else if (d.moment.type === "latest") moment = { type: "latest", seconds: 0 };
    else {
      throw new EmulatorError("EMULATOR_STAGE_REQUEST_INVALID", `stage ${stage}: dataset ${key} asks for moment type ${JSON.stringify(d.moment.type)}`, {
        hint: 'Ask for datasets with {"moment": {"type": "since", "seconds": N}}.',
      });
    }
    return emulator.datasets.register(key, moment);
  });
}

export async function runLifecycle(options: LifecycleOptions): Promise<LifecycleResult> {
  validateOptions(options);
  const emulator = options.emulator ?? (await Emulator.start(options));
  const owned = options.emulator === undefined;
  const runId = `run-${new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "")}-${randomBytes(3).toString("hex")}`;
  const runDir = join(emulator.workDir, "runs", runId);
  await mkdir(runDir, { recursive: true });
  const stages: StageReport[] = [];
  const timings: StageTiming[] = [];
  const say = options.onStage ?? ((): void => undefined);
  const users = emulator.project.users;
  const storePath = options.store === false ? null : join(emulator.workDir, STORE_FILE);
  const store = storePath === null ? null : new PropertyStore(storePath);
  store?.beginRun(runId, describeCommand(options.plugin), users);
  const result: LifecycleResult = {
    ok: false,
    runId,
    error: null,
    stages,
    batches: [],
    batchesRequest: null,
    summary: null,
    workDir: emulator.workDir,
    storePath,
  };

  const runStage = async (stage: string, datasets: DatasetRef[], downloadStages: string[]): Promise<Results> => {
    const downloadUrls: Record<string, string> = {};
    for (const s of downloadStages) downloadUrls[s] = emulator.downloadUrl(s);
    const manifest = buildManifest({
      stage,
      baseUrl: emulator.url,
      users,
      datasets,
      downloadUrls,
      uploadUrl: emulator.uploadUrl(stage),
      ...(options.inputParams === undefined ? {} : { inputParams: options.inputParams }),
    });
    say(`stage ${stage}: running ${describeCommand(options.plugin)}`);
    const run = await runPluginProcess({
      command: options.plugin,
      dir: join(runDir, stage),
      manifest,
      ...(options.env === undefined ? {} : { env: options.env }),
    });
    stages.push({ stage, wallMs: run.wallMs, exitCode: run.exitCode, status: run.results?.status ?? null, peakRssBytes: run.peakRssBytes, dir: run.dir });
    timings.push({ stage, wallMs: run.wallMs, users, processes: 1 });
    const failure = processFailure(run, `stage ${stage}`, "EMULATOR_PLUGIN_FAILED");
    if (failure !== null) throw failure;
    say(`stage ${stage}: success in ${(run.wallMs / 1000).toFixed(2)} s`);
    return run.results as Results;
  };

  try {
    // Datasets are generated (and cached on disk) before the stage that reads them.
    const prepareStarted = performance.now();
    const initial = emulator.datasets.register("initial", INITIAL_KINDS[options.initialDataset ?? "0_sec"] as Moment);
    await emulator.datasets.file(initial);
    timings.push({ stage: "datasets", wallMs: performance.now() - prepareStarted, users, processes: 0 });

    const initialResults = await runStage(contract.initialStage, [initial], []);
    let batches: Batches | null = initialResults.batches ?? null;
    const allDatasets: DatasetRef[] = [initial];
    const ran: string[] = [contract.initialStage];

    const requested = Object.entries(initialResults.stages ?? {});
    for (const [name] of requested) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(name) || name === contract.initialStage || name === contract.batchStage) {
        throw new EmulatorError("EMULATOR_STAGE_REQUEST_INVALID", `the initial stage asked for a stage named ${JSON.stringify(name)}`, {
          hint: "Name extra stages with letters, digits, _ or - (not initial or batch).",
        });
      }
    }
    if (requested.length > 0) {
      const plans = requested.map(([name, req]) => ({ name, datasets: requestedDatasets(emulator, name, req.datasets) }));
      const prepare = performance.now();
      await Promise.all(plans.flatMap((p) => p.datasets.map((d) => emulator.datasets.file(d))));
      const extraPrepare = performance.now() - prepare;
      const datasetsTiming = timings.find((t) => t.stage === "datasets");
      if (datasetsTiming !== undefined) datasetsTiming.wallMs += extraPrepare;
      const started = performance.now();
      // One round, in parallel; the first failure is reported after all have ended.
      const outcomes = await Promise.allSettled(plans.map((p) => runStage(p.name, [initial, ...p.datasets], [contract.initialStage])));
      const failed = outcomes.find((r) => r.status === "rejected");
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
      outcomes.forEach((r, i) => {
        const value = (r as PromiseFulfilledResult<Results>).value;
        // The last stage that gives batches wins, in the order the initial stage listed them.
        if (value.batches !== undefined) batches = value.batches;
        const plan = plans[i] as (typeof plans)[number];
        ran.push(plan.name);
        for (const d of plan.datasets) if (!allDatasets.some((a) => a.key === d.key)) allDatasets.push(d);
      });
      say(`stages ${plans.map((p) => p.name).join(", ")}: done in ${((performance.now() - started) / 1000).toFixed(2)} s`);
    }

    if (batches === null) {
      say("no stage returned batches: the plugin is not a batch updating plugin, nothing to score");
      result.ok = true;
      store?.finishRun(runId, "success", { batches: 0 });
      return result;
    }
    const chosen: Batches = batches;
    result.batchesRequest = chosen;
    const maxBatchSize = options.maxBatchSize ?? chosen.maxBatchSize;
    const scores = new Float64Array(users).fill(Number.NaN);
    say(`stage batch: ${users.toLocaleString("en-US")} users in batches of about ${maxBatchSize.toLocaleString("en-US")}`);
    const stage = await runBatchStage(emulator, {
      plugin: options.plugin,
      runId,
      runDir,
      maxBatchSize,
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      options: chosen.options ?? {},
      datasets: allDatasets,
      downloadStages: ran,
      ...(options.inputParams === undefined ? {} : { inputParams: options.inputParams }),
      store,
      scores,
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    result.batches = stage.batches;
    const datasetsTiming = timings.find((t) => t.stage === "datasets");
    if (datasetsTiming !== undefined) datasetsTiming.wallMs += stage.prepareMs;
    timings.push({ stage: "batch", wallMs: stage.wallMs, users: stage.usersScored, processes: stage.batches.length });
    if (stage.error !== null) throw stage.error;

    // Every batch checked its own slice; the store must agree that the run covered each user once.
    let exactlyOnce = stage.usersScored === users;
    if (store !== null) {
      store.buildIndex();
      const counts = store.counts(runId, stage.scoreProperty);
      exactlyOnce &&= counts.rows === users && counts.distinctUsers === users;
    }
    const summary: RunSummary = {
      runId,
      users,
      usersScored: stage.usersScored,
      exactlyOnce,
      scoreProperty: stage.scoreProperty,
      category: stage.category,
      distribution: distribution(scores),
      auc: auc(scores, emulator.project.labels()),
      batches: stage.batches.length,
      stages: timings,
      storePath,
      exampleQuery:
        storePath === null
          ? null
          : `SELECT user_id, value FROM user_properties WHERE run_id = '${runId}' AND property = '${stage.scoreProperty}' ORDER BY value DESC LIMIT 10`,
      faults: emulator.faults.describe(),
    };
    result.summary = summary;
    if (!exactlyOnce) {
      throw new EmulatorError("EMULATOR_USER_MISSING", `the run scored ${stage.usersScored} of ${users} users`, {
        hint: "Every batch must write exactly one update per user of its slice.",
        title: "Users not scored exactly once",
      });
    }
    result.ok = true;
    store?.finishRun(runId, "success", summary);
    return result;
  } catch (err) {
    result.error =
      err instanceof EmulatorError
        ? err
        : new EmulatorError("EMULATOR_PLUGIN_FAILED", `the run failed: ${(err as Error).message}`, { hint: "Rerun with --keep and inspect the run directory.", cause: err });
    store?.finishRun(runId, "error", { error: result.error.message });
    return result;
  } finally {
    store?.close();
    if (owned && options.workDir === undefined) {
      // A temporary emulator took its work dir with it; keep nothing pointing there.
      await emulator.stop();
      result.storePath = null;
      if (result.summary !== null) {
        result.summary.storePath = null;
        result.summary.exampleQuery = null;
      }
    } else if (owned) {
      await emulator.stop();
    }
  }
}
