import { join } from "node:path";
import { writeFileAtomic, type StageContext, type StageOutput } from "@batchkit/plugin";
import { upload } from "@batchkit/upload";
import { defaultModelPath, parseTrainParams, trainStage } from "../options.js";
import { defaultTrainingSettings, trainConversionModel, type TrainedModel } from "../training.js";
import { trainingView } from "../views.js";
import { datasetRef, httpOf, readContextOf, uploadUrlOf, type StageSettings } from "./stage-settings.js";

/**
 * trainMore: fits the model on the training dataset(s) (every `train_*` data URL), reports its
 * validation metrics, uploads model.onnx and returns the `batches` request whose options tell the
 * batch stage how to read the features for it.
 */
export async function trainMoreStage(ctx: StageContext, settings: StageSettings = {}): Promise<StageOutput> {
  const { manifest } = ctx;
  const params = parseTrainParams(manifest.inputParams);
  const trainKeys = Object.keys(manifest.dataUrls)
    .filter((key) => key.startsWith("train_"))
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  if (trainKeys.length === 0) ctx.log.warn("no train_* dataset in the manifest; training on the initial dataset");
  const refs = trainKeys.length > 0 ? trainKeys.map((key) => datasetRef(manifest, key, "training data")) : [datasetRef(manifest, "initial", "training data")];
  // Check before the (long) training that the model can be uploaded at all.
  // The stage's own name keys its upload URL and, later, its downloadUrls entry.
  const uploadUrl = uploadUrlOf(manifest, ctx.stage, defaultModelPath);

  const trained = await trainConversionModel(refs, manifest.metadata.features ?? {}, readContextOf(ctx, settings, refs[0]), {
    ...defaultTrainingSettings,
    ...(params.l2 === undefined ? {} : { l2: params.l2 }),
    ...(params.validationFraction === undefined ? {} : { validationFraction: params.validationFraction }),
    ...(params.maxTrainingRows === undefined ? {} : { maxTrainingRows: params.maxTrainingRows }),
  });
  const { metrics } = trained;
  ctx.log.info("trained", {
    auc: metrics.validation.auc ?? undefined,
    logLoss: metrics.validation.logLoss ?? undefined,
    baseline: metrics.validation.baselineLogLoss ?? undefined,
    users: metrics.fittedUsers,
    onnxDiff: metrics.onnxMaxAbsDifference.toExponential(2),
  });

  const file = join(ctx.cwd, defaultModelPath);
  await writeFileAtomic(file, trained.onnx);
  const result = await upload(file, { ...httpOf(ctx, settings), uploadUrl, path: defaultModelPath, contentType: "application/octet-stream" });
  ctx.log.info(`uploaded ${defaultModelPath}`, { bytes: result.bytes, sha256: result.sha256.slice(0, 12) });

  return {
    data: {
      datasets: refs.map((ref) => ref.key),
      metrics,
      features: trained.choices.map((c) => ({ column: c.column, selected: c.selected, ...(c.reason === undefined ? {} : { reason: c.reason }) })),
      model: { path: defaultModelPath, bytes: result.bytes, sha256: result.sha256 },
      jsx: trainingView,
    },
    batches: { maxBatchSize: params.maxBatchSize, options: batchOptionsOf(trained, ctx.stage) },
  };
}

/** The batch stage's options for a trained model: the reader's feature spec, flattened to JSON. */
export function batchOptionsOf(trained: Pick<TrainedModel, "pipeline">, modelStage: string = trainStage): Record<string, unknown> {
  const features = trained.pipeline.features;
  const fills: Record<string, number> = {};
  const categories: Record<string, string[]> = {};
  for (const feature of features) {
    if (feature.kind === "categorical") categories[feature.column] = feature.categories;
    else fills[feature.column] = feature.fill;
  }
  return {
    model: defaultModelPath,
    modelStage,
    features: features.map((f) => f.column),
    fill: 0,
    fills,
    categories,
  };
}
