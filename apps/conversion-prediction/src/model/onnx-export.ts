import { standardisation, inputWidth, type FeaturePipeline } from "./feature-pipeline.js";
import type { LogisticModel } from "./logistic-regression.js";
import { encodeOnnxModel, OnnxDataType, type OnnxTensor, type OnnxValueInfo } from "./onnx-proto.js";

export const exportedInputName = "features";
export const exportedOutputName = "probability";

export interface ExportOptions {
  producerVersion?: string;
  docString?: string;
}

/**
 * Builds the ONNX graph of a fitted pipeline + logistic regression: one float input [N, F] holding the
 * model inputs as the dataset reader produces them (F = inputWidth), one float output [N, 1] holding
 * the positive-class probability:
 *
 *   p = Sigmoid(((features - center) * scale) @ weights + intercept)
 *
 * Standardisation stays in the graph rather than being folded into the weights, so that large raw
 * values (timestamps, amounts) keep their precision instead of cancelling in float32.
 */
export function exportLogisticModel(
  pipeline: FeaturePipeline,
  model: LogisticModel,
  options: ExportOptions = {},
): Uint8Array {
  const width = inputWidth(pipeline);
  if (model.weights.length !== width) {
    throw new TypeError(`the model has ${model.weights.length} weights but the pipeline has ${width} inputs`);
  }
  const { center, scale } = standardisation(pipeline);
  return encodeOnnxModel({
    irVersion: 8,
    producerName: "batchkit-conversion-prediction",
    producerVersion: options.producerVersion ?? "0.1.0",
    docString: options.docString ?? "L2-regularised logistic regression: P(convert) per user",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "conversion_prediction",
      node: [
        { opType: "Sub", input: [exportedInputName, "center"], output: ["centered"], name: "standardise_center" },
        { opType: "Mul", input: ["centered", "scale"], output: ["standardised"], name: "standardise_scale" },
        { opType: "MatMul", input: ["standardised", "weights"], output: ["linear"], name: "linear" },
        { opType: "Add", input: ["linear", "intercept"], output: ["logit"], name: "logit" },
        { opType: "Sigmoid", input: ["logit"], output: [exportedOutputName], name: "probability" },
      ],
      initializer: [
        floatTensor("center", [1, width], center),
        floatTensor("scale", [1, width], scale),
        floatTensor("weights", [width, 1], model.weights),
        floatTensor("intercept", [1], [model.intercept]),
      ],
      input: [floatValueInfo(exportedInputName, ["N", width])],
      output: [floatValueInfo(exportedOutputName, ["N", 1])],
    },
  });
}

/** A float tensor initializer (also used to build test and user-model fixtures). */
export function floatTensor(name: string, dims: number[], values: ArrayLike<number>): OnnxTensor {
  return { name, dims, dataType: OnnxDataType.FLOAT, floatData: Array.from(values) };
}

/** A tensor value info; a string dimension is symbolic (dynamic), a number fixed. */
export function floatValueInfo(
  name: string,
  shape: (number | string)[],
  elemType: number = OnnxDataType.FLOAT,
): OnnxValueInfo {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}
