import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { defaultDecodeThreads, openDataJsonWriter, readDataset, type DataJsonResult, type DatasetStats, type FeatureSpec, type RowBatch } from "@batchkit/io";
import { contract, redactUrl, type Manifest } from "@batchkit/manifest";
import type { StageContext } from "@batchkit/plugin";
import { download, StorageError, storageUrl, upload } from "@batchkit/upload";
import { ConversionPredictionError } from "../errors.js";
import { loadScoringModel, type ScoringModel } from "../model/model-loader.js";
import { optionsInputWidth, parseBatchOptions, type BatchOptions } from "../options.js";
import { ScoreSummary } from "../score-summary.js";
import { datasetRef, httpOf, readContextOf, uploadUrlOf, type StageSettings } from "./stage-settings.js";

/**
 * batch: scores one slice. One onnxruntime session, the reader's reused Float32Array as the input
 * tensor, scores straight into the data.json writer's fast path; data.json is uploaded only after the
 * writer closed cleanly (deduplicated, renamed into place), so a failure never uploads a partial file.
 */
export async function batchStage(ctx: StageContext, settings: StageSettings = {}): Promise<void> {
  const { manifest } = ctx;
  const started = performance.now();
  const options = parseBatchOptions(manifest.options);
  const key = options.dataset ?? (manifest.dataUrls["latest"] !== undefined ? "latest" : "initial");
  const ref = datasetRef(manifest, key, options.dataset === undefined ? "the slice to score" : "options.dataset");
  const uploadUrl = uploadUrlOf(manifest, contract.batchStage, contract.dataJsonPath);
  const width = optionsInputWidth(options);
  // The model downloads and loads while the slice starts streaming: the first batch is read ahead.
  const modelLoad = fetchModel(ctx, settings, options, width);
  modelLoad.catch(() => undefined);
  const summary = new ScoreSummary();
  const path = join(ctx.cwd, contract.dataJsonPath);
  const context = readContextOf(ctx, settings, ref);
  // Stops the read-ahead when the model cannot be used (its error is the one to report).
  const stopReading = new AbortController();
  let model: ScoringModel | undefined;
  let modelReady = 0;
  let stats: DatasetStats;
  let written: DataJsonResult;
  let scored = 0;
  try {
    const writer = await openDataJsonWriter(path, {
      category: contract.predictionCategory,
      properties: [contract.predictionProperty],
    });
    try {
      // Rows are decoded by worker threads and by this thread while it would wait, so this thread
      // scores and writes while the other cores decode (measured within the 250 MB bound at 10M users).
      const reader = readDataset(ref.url, {
        decodeThreads: settings.decodeThreads ?? decodeThreadsFromEnv() ?? defaultDecodeThreads(),
        features: featureSpec(options),
        fill: options.fill,
        batchSize: options.subBatchSize,
        tmpDir: ctx.cwd,
        signal: AbortSignal.any([ctx.signal, stopReading.signal]),
        ...(settings.http === undefined ? {} : { http: settings.http }),
      });
      const batches = reader[Symbol.asyncIterator]();
      // A model that fails stops the read at once, even one stalled waiting for bytes.
      let modelLoaded = false;
      let modelFailure: { error: unknown } | undefined;
      modelLoad.then(
        () => (modelLoaded = true),
        (error: unknown) => {
          modelFailure = { error };
          stopReading.abort(error);
        },
      );
      const scoreBatch = async (m: ScoringModel, batch: RowBatch): Promise<void> => {
        const scores = await m.score(batch.features, batch.rows);
        checkScores(scores, batch.firstRow);
        writer.writeScores(batch.userIds, scores, batch.rows);
        summary.add(scores);
        context.log?.progress(summary.users, context.expectedRows, { dataset: key });
      };
      try {
        // While the model downloads and loads, the slice is read ahead: batches are kept as copies (the
        // reader reuses its buffer), up to HELD_BYTES, and scored in order once the model is there.
        const held: RowBatch[] = [];
        let heldBytes = 0;
        let step: IteratorResult<RowBatch>;
        try {
          step = await batches.next();
          while (!modelLoaded && modelFailure === undefined && step.done !== true && heldBytes + step.value.features.byteLength <= HELD_BYTES) {
            held.push({ ...step.value, features: step.value.features.slice() });
            heldBytes += step.value.features.byteLength;
            step = await batches.next();
          }
          model = await modelLoad;
        } catch (error) {
          // The model's error, not the read it stopped.
          throw modelFailure === undefined ? error : modelFailure.error;
        }
        modelReady = performance.now();
        for (const batch of held.splice(0)) await scoreBatch(model, batch);
        // The reader reuses batch.features on its next step, so each batch is scored and written right here.
        for (; step.done !== true; step = await batches.next()) await scoreBatch(model, step.value);
      } finally {
        // Ends the reader (its download, decode threads and temp files) however the loop ended.
        await batches.return?.(undefined).catch(() => undefined);
      }
      stats = reader.stats();
      scored = performance.now();
      written = await writer.close({ dedupe: stats.duplicates });
    } catch (error) {
      await writer.abort();
      throw error;
    }
  } finally {
    // The same session as `model`, also when the stage failed before it was needed.
    await modelLoad.then((m) => m.release(), () => undefined);
  }
  const closed = performance.now();
  const sent = await upload(path, { ...httpOf(ctx, settings), uploadUrl, path: contract.dataJsonPath, contentType: "application/json" });
  const seconds = (performance.now() - started) / 1000;
  let filled = 0;
  for (const column of Object.values(stats.columns)) filled += column.missing + column.invalid;
  ctx.log.info("scored", {
    dataset: key,
    users: written.rows,
    rows: stats.rows,
    duplicates: written.duplicatesRemoved,
    missingFilled: filled,
    usersPerSecond: Math.round(stats.rows / Math.max(seconds, 1e-9)),
    seconds,
    layout: model.layout,
    uploadedBytes: sent.bytes,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    // Where the time went: model download + session, read + score + write, data.json close (dedupe, fsync, rename), upload.
    ms: { model: Math.round(modelReady - started), scoring: Math.round(scored - modelReady), close: Math.round(closed - scored), upload: Math.round(performance.now() - closed) },
    decodeThreads: stats.decode?.threads ?? 0,
    ...summary.quantileFields(),
  });
}

/** Decoded rows kept (as copies) while the model is not loaded yet: ~16 MB, 90,000 rows of 45 inputs. */
const HELD_BYTES = 16 * 1024 * 1024;

/** BATCHKIT_DECODE_THREADS (0-16) overrides the reader's decode threads, e.g. 0 on a busy machine. */
function decodeThreadsFromEnv(): number | undefined {
  const raw = process.env["BATCHKIT_DECODE_THREADS"];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 16) {
    throw new ConversionPredictionError("OPTIONS_INVALID", `BATCHKIT_DECODE_THREADS must be an integer from 0 to 16, got ${JSON.stringify(raw)}`, {
      hint: "Unset it to use one decode thread per spare CPU, or set 0 to decode in the stage's own thread.",
    });
  }
  return n;
}

/** The reader's spec for the options: a categorical column gives one input per category. */
export function featureSpec(options: BatchOptions): FeatureSpec[] {
  return options.features.map((column) => {
    const categories = options.categories[column];
    if (categories !== undefined) return { column, kind: "categorical", categories };
    const fill = options.fills[column];
    return fill === undefined ? { column } : { column, fill };
  });
}

async function fetchModel(ctx: StageContext, settings: StageSettings, options: BatchOptions, width: number): Promise<ScoringModel> {
  const base = modelBase(ctx.manifest, options);
  const where = redactUrl(storageUrl(base, options.model));
  const local = join(ctx.cwd, `.model-${process.pid}.onnx`);
  try {
    const file = await download(base, options.model, local, { ...httpOf(ctx, settings), stage: options.modelStage, cwd: ctx.cwd });
    const bytes = await readFile(file.path);
    const oneHot = Object.keys(options.categories).length;
    const model = await loadScoringModel(bytes, {
      featureCount: width,
      ...(oneHot === 0
        ? {}
        : { featureCountText: `options.features gives ${width} inputs (${options.features.length} columns, ${oneHot} of them one-hot over options.categories)` }),
      positiveClass: options.positiveClass,
      source: where,
    });
    ctx.log.info("model loaded", { model: where, bytes: file.bytes, layout: model.layout, inputs: width, rssMB: Math.round(process.memoryUsage().rss / 1e6) });
    return model;
  } catch (error) {
    if (error instanceof StorageError && error.code === "DOWNLOAD_NOT_FOUND") {
      throw new ConversionPredictionError("MODEL_MISSING", `The model ${where} does not exist (404)`, {
        cause: error,
        hint: `The ${options.modelStage} stage must upload ${options.model}; run it again, or upload your own model there and set options.model.`,
      });
    }
    throw error;
  } finally {
    await rm(local, { force: true });
  }
}

function modelBase(manifest: Manifest, options: BatchOptions): string {
  const base = manifest.downloadUrls[options.modelStage];
  if (base === undefined) {
    const keys = Object.keys(manifest.downloadUrls);
    throw new ConversionPredictionError(
      "MODEL_MISSING",
      `manifest.downloadUrls has no "${options.modelStage}" (it has ${keys.length > 0 ? keys.map((k) => `"${k}"`).join(", ") : "none"}), so ${options.model} cannot be downloaded`,
      { hint: `The ${options.modelStage} stage must upload ${options.model}; check that it ran and that options.modelStage names it.` },
    );
  }
  return base;
}

/** A probability outside [0, 1] (or NaN) means the model is not what options say: fail, naming the row. */
function checkScores(scores: Float32Array, firstRow: number): void {
  for (let i = 0; i < scores.length; i++) {
    const p = scores[i]!;
    if (p >= 0 && p <= 1) continue;
    // float32 sigmoid/softmax may overshoot by an ulp; anything more is a wrong output.
    if (p > 1 && p < 1 + 1e-6) scores[i] = 1;
    else if (p < 0 && p > -1e-6) scores[i] = 0;
    else {
      throw new ConversionPredictionError(
        "MODEL_OUTPUT_INVALID",
        `The model scored dataset row ${firstRow + i} as ${p}, which is not a probability in [0, 1]`,
        { hint: "Export the model's probability output (after the sigmoid or softmax), not its raw score or logit." },
      );
    }
  }
}
