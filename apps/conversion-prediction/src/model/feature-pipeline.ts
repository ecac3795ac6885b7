import type { DesignMatrix } from "./logistic-regression.js";

/**
 * How one dataset column becomes model input, in the dataset reader's terms (@batchkit/io FeatureSpec):
 * a number or boolean is one input (booleans 1/0, a missing value replaced by `fill`, the training
 * mean); a categorical string is one-hot over `categories` (all 0 for a rare, unseen or missing value).
 * The reader produces exactly these inputs in the batch stage, so the exported model takes them as is
 * and standardises the numbers itself.
 */
export type FeatureEncoding = NumericEncoding | CategoricalEncoding;

export interface NumericEncoding {
  column: string;
  kind: "number" | "boolean";
  /** The value a missing cell is read as (mean imputation). */
  fill: number;
  /** Standardisation: design value = (input - center) * scale; booleans keep 0/1 (center 0, scale 1). */
  center: number;
  scale: number;
}

export interface CategoricalEncoding {
  column: string;
  kind: "categorical";
  /** The categories seen often enough in training, one model input each, in order. */
  categories: string[];
}

export interface FeaturePipeline {
  features: FeatureEncoding[];
}

/** The number of model inputs (one per number or boolean, one per category). */
export function inputWidth(pipeline: FeaturePipeline): number {
  let width = 0;
  for (const feature of pipeline.features) width += feature.kind === "categorical" ? feature.categories.length : 1;
  return width;
}

/** Names of the model inputs, `column=category` for one-hot inputs (the reader's featureNames). */
export function inputNames(pipeline: FeaturePipeline): string[] {
  const names: string[] = [];
  for (const feature of pipeline.features) {
    if (feature.kind === "categorical") {
      for (const category of feature.categories) names.push(`${feature.column}=${category}`);
    } else {
      names.push(feature.column);
    }
  }
  return names;
}

/** Per model input: the center and scale the exported graph applies (one-hot inputs pass through). */
export function standardisation(pipeline: FeaturePipeline): { center: Float64Array; scale: Float64Array } {
  const width = inputWidth(pipeline);
  const center = new Float64Array(width);
  const scale = new Float64Array(width).fill(1);
  let j = 0;
  for (const feature of pipeline.features) {
    if (feature.kind === "categorical") {
      j += feature.categories.length;
    } else {
      center[j] = feature.center;
      scale[j] = feature.scale;
      j += 1;
    }
  }
  return { center, scale };
}

/**
 * Standardises model inputs (rows x inputWidth, row-major) into the design the regression fits on.
 * The constants are rounded to float32 as in the exported graph, so TypeScript and ONNX agree.
 * `target` may be `inputs` itself, to standardise a large training sample without a second copy.
 */
export function encodeDesign(
  inputs: ArrayLike<number>,
  rows: number,
  pipeline: FeaturePipeline,
  target?: Float32Array,
): DesignMatrix {
  const { center, scale } = standardisation(pipeline);
  const width = center.length;
  const values = target ?? new Float32Array(rows * width);
  if (values.length < rows * width) throw new RangeError(`encodeDesign needs ${rows * width} values of room, got ${values.length}`);
  for (let j = 0; j < width; j++) {
    center[j] = Math.fround(center[j]!);
    scale[j] = Math.fround(scale[j]!);
  }
  for (let i = 0; i < rows; i++) {
    const base = i * width;
    for (let j = 0; j < width; j++) values[base + j] = (inputs[base + j]! - center[j]!) * scale[j]!;
  }
  return { values: values.subarray(0, rows * width), rows, width };
}
