import type { FeatureMetadata } from "@batchkit/manifest";
import { contract } from "@batchkit/manifest";
import { featureColumnsOf, forEachBatch, readColumns, readerFeatures, type DatasetRef, type ReadContext } from "./dataset-access.js";
import { ConversionPredictionError } from "./errors.js";
import { chooseFeatures, defaultSelectionRules, pipelineOf, type FeatureChoice, type SelectionRules } from "./feature-selection.js";
import { encodeDesign, inputNames, inputWidth, type FeaturePipeline } from "./model/feature-pipeline.js";
import { fitLogisticRegression, predictLogistic, type LogisticModel } from "./model/logistic-regression.js";
import { constantLogLoss, decileTable, logLoss, rocAuc, type DecileRow } from "./model/metrics.js";
import { loadScoringModel } from "./model/model-loader.js";
import { exportLogisticModel } from "./model/onnx-export.js";
import { RowSample } from "./model/row-sample.js";
import { DatasetProfiler, declaredKind, missingMarker, parseLabel, type DatasetProfile } from "./profile.js";

export interface TrainingSettings {
  l2: number;
  /** Users with random < this share form the validation split. */
  validationFraction: number;
  /** Training rows held for fitting; past it a uniform sample is kept. */
  maxTrainingRows: number;
  maxValidationRows: number;
  rules: SelectionRules;
}

export const defaultTrainingSettings: TrainingSettings = {
  l2: 1,
  validationFraction: 0.2,
  maxTrainingRows: 250_000,
  maxValidationRows: 100_000,
  rules: defaultSelectionRules,
};

/** The largest gap allowed between the exported model's and the TypeScript model's probabilities. */
export const onnxParityTolerance = 1e-5;

export interface ModelMetrics {
  trainingUsers: number;
  validationUsers: number;
  /** Rows fitted on (a sample when the training split exceeds maxTrainingRows). */
  fittedUsers: number;
  trainingConversionRate: number;
  validation: {
    auc: number | null;
    logLoss: number | null;
    /** Log-loss of always predicting the training conversion rate. */
    baselineLogLoss: number | null;
    deciles: DecileRow[];
  };
  training: { auc: number | null; logLoss: number | null };
  iterations: number;
  converged: boolean;
  l2: number;
  /** max |p_onnx - p_typescript| over the validation rows, checked through onnxruntime. */
  onnxMaxAbsDifference: number;
  coefficients: { input: string; weight: number }[];
  intercept: number;
}

export interface TrainedModel {
  profile: DatasetProfile;
  choices: FeatureChoice[];
  pipeline: FeaturePipeline;
  model: LogisticModel;
  metrics: ModelMetrics;
  onnx: Uint8Array;
  /** The validation rows as model inputs, their labels and the TypeScript model's probabilities. */
  validation: { inputs: Float32Array; labels: Uint8Array; probabilities: Float64Array; rows: number };
}

/** Profiles datasets in one streaming pass: the columns it reads are the candidate feature columns. */
export async function profileDatasets(
  refs: readonly DatasetRef[],
  metadata: Readonly<Record<string, FeatureMetadata>>,
  context: ReadContext,
): Promise<DatasetProfile> {
  const first = refs[0];
  if (first === undefined) throw new TypeError("profileDatasets needs at least one dataset");
  const columns = featureColumnsOf(await readColumns(first, context));
  const profiler = new DatasetProfiler(columns, metadata);
  // Columns declared numbers or booleans go through the reader's float path, which is several times
  // faster than raw JSON values and reads them exactly as the batch stage will; the rest as raw values.
  const floats = columns.flatMap((column, k) => (declaredKind(metadata[column]) === undefined ? [] : [k]));
  const raws = columns.flatMap((column, k) => (declaredKind(metadata[column]) === undefined ? [k] : []));
  const features = floats.map((k) => ({ column: columns[k]!, fill: missingMarker }));
  const extraColumns = [contract.labelColumn, ...raws.map((k) => columns[k]!)];
  for (const ref of refs) {
    await forEachBatch(ref, context, { features, extraColumns }, (batch) => {
      profiler.addLabels(batch.rows, batch.extras[contract.labelColumn] ?? []);
      floats.forEach((k, slot) => profiler.addFloats(k, batch.rows, batch.features, batch.width, slot));
      for (const k of raws) profiler.addValues(k, batch.rows, batch.extras[columns[k]!] ?? []);
    });
  }
  return profiler.finish();
}

/**
 * Trains the conversion model on the training datasets: a profiling pass chooses the features and their
 * encodings, a second pass reads the model inputs through the same reader the batch stage uses (so the
 * encodings match exactly), then the regression is fitted, validated on the `random` split, exported to
 * ONNX and the export checked against the TypeScript model.
 */
export async function trainConversionModel(
  refs: readonly DatasetRef[],
  metadata: Readonly<Record<string, FeatureMetadata>>,
  context: ReadContext,
  settings: TrainingSettings = defaultTrainingSettings,
): Promise<TrainedModel> {
  const profile = await profileDatasets(refs, metadata, context);
  const choices = chooseFeatures(profile, settings.rules);
  const pipeline = pipelineOf(choices);
  if (pipeline.features.length === 0) {
    const reasons = choices.map((c) => `${c.column}: ${c.reason ?? "?"}`).join("; ");
    throw new ConversionPredictionError(
      "NO_FEATURES",
      `None of the ${choices.length} feature columns of ${refs.map((r) => r.key).join(", ")} is usable${reasons ? ` (${reasons})` : ""}`,
      { hint: "Add features with values for most users to the plugin's datasets." },
    );
  }
  const width = inputWidth(pipeline);
  const train = new RowSample(width, settings.maxTrainingRows, 0x2545f491);
  const validation = new RowSample(width, settings.maxValidationRows, 0x68e31da4);
  let trainingUsers = 0;
  let validationUsers = 0;
  let positives = 0;
  for (const ref of refs) {
    await forEachBatch(
      ref,
      context,
      { features: readerFeatures(pipeline.features), extraColumns: [contract.labelColumn, contract.rangeColumn] },
      (batch) => {
        const labels = batch.extras[contract.labelColumn] ?? [];
        const randoms = batch.extras[contract.rangeColumn] ?? [];
        for (let i = 0; i < batch.rows; i++) {
          const label = parseLabel(labels[i]);
          if (label === undefined) continue;
          const random = randoms[i];
          if (typeof random === "number" && random < settings.validationFraction) {
            validationUsers++;
            validation.add(batch.features, i * width, label);
          } else {
            trainingUsers++;
            positives += label;
            train.add(batch.features, i * width, label);
          }
        }
      },
    );
  }
  const fitted = train.view();
  if (fitted.rows === 0) {
    throw new ConversionPredictionError("TRAIN_NO_ROWS", `The training datasets ${refs.map((r) => r.key).join(", ")} have no labelled users outside the validation split`, {
      hint: "Run the plugin on a project with more users, or lower the validationFraction parameter.",
    });
  }
  if (positives === 0 || positives === trainingUsers) {
    throw new ConversionPredictionError(
      "TRAIN_ONE_CLASS",
      `Every one of the ${trainingUsers} training users has y_value "${positives === 0 ? "false" : "true"}"`,
      { hint: "Pick a goal that some users reach and others do not, or a longer moment." },
    );
  }
  const rate = positives / trainingUsers;
  context.log?.info("fitting", { users: fitted.rows, inputs: width, l2: settings.l2 });
  // In place: the raw training inputs are not needed once standardised.
  const design = encodeDesign(fitted.inputs, fitted.rows, pipeline, fitted.inputs);
  const model = fitLogisticRegression(design, fitted.labels, { l2: settings.l2 });
  const trainProbabilities = predictLogistic(model, design);
  const held = validation.view();
  const validationProbabilities = predictLogistic(model, encodeDesign(held.inputs, held.rows, pipeline));
  const onnx = exportLogisticModel(pipeline, model);
  const onnxMaxAbsDifference = await onnxDifference(onnx, held.inputs, held.rows, width, validationProbabilities);
  if (!(onnxMaxAbsDifference <= onnxParityTolerance)) {
    throw new ConversionPredictionError(
      "MODEL_OUTPUT_INVALID",
      `The exported model.onnx differs from the fitted model by ${onnxMaxAbsDifference} on the validation users (allowed ${onnxParityTolerance})`,
      { hint: "This is a bug in the plugin's ONNX export: report it with the dataset's feature types." },
    );
  }
  const names = inputNames(pipeline);
  const hasBoth = held.rows > 0; // metrics of an empty validation split are null, not NaN
  const metrics: ModelMetrics = {
    trainingUsers,
    validationUsers,
    fittedUsers: fitted.rows,
    trainingConversionRate: round(rate),
    validation: {
      auc: hasBoth ? finiteOrNull(rocAuc(validationProbabilities, held.labels)) : null,
      logLoss: hasBoth ? finiteOrNull(logLoss(validationProbabilities, held.labels)) : null,
      baselineLogLoss: hasBoth ? finiteOrNull(constantLogLoss(rate, held.labels)) : null,
      deciles: decileTable(validationProbabilities, held.labels),
    },
    training: {
      auc: finiteOrNull(rocAuc(trainProbabilities, fitted.labels)),
      logLoss: finiteOrNull(logLoss(trainProbabilities, fitted.labels)),
    },
    iterations: model.iterations,
    converged: model.converged,
    l2: settings.l2,
    onnxMaxAbsDifference,
    coefficients: names
      .map((input, j) => ({ input, weight: round(model.weights[j]!) }))
      .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)),
    intercept: round(model.intercept),
  };
  return {
    profile,
    choices,
    pipeline,
    model,
    metrics,
    onnx,
    validation: { inputs: held.inputs, labels: held.labels, probabilities: validationProbabilities, rows: held.rows },
  };
}

/** Scores the validation inputs with the exported bytes through onnxruntime, as the batch stage will. */
async function onnxDifference(
  onnx: Uint8Array,
  inputs: Float32Array,
  rows: number,
  width: number,
  expected: Float64Array,
): Promise<number> {
  const scorer = await loadScoringModel(onnx, { featureCount: width, source: "the exported model.onnx" });
  let largest = 0;
  try {
    const chunk = 8192;
    for (let start = 0; start < rows; start += chunk) {
      const count = Math.min(chunk, rows - start);
      const scores = await scorer.score(inputs.subarray(start * width, (start + count) * width), count);
      for (let i = 0; i < count; i++) largest = Math.max(largest, Math.abs(scores[i]! - expected[start + i]!));
    }
  } finally {
    await scorer.release();
  }
  return largest;
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? round(value) : null;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
