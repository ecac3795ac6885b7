import { floatTensor, floatValueInfo } from "../../src/model/onnx-export.js";
import {
  encodeOnnxModel,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxGraph,
  type OnnxNode,
  type OnnxValueInfo,
} from "../../src/model/onnx-proto.js";

/** A linear model p = sigmoid(x . weights + bias) that the user-model layouts below all compute. */
export interface LinearSpec {
  weights: number[];
  bias: number;
}

export function expectedProbability(spec: LinearSpec, row: ArrayLike<number>): number {
  let z = spec.bias;
  spec.weights.forEach((w, j) => (z += w * row[j]!));
  return 1 / (1 + Math.exp(-z));
}

const encoder = new TextEncoder();

function model(graph: OnnxGraph, ml = false): Uint8Array {
  return encodeOnnxModel({
    irVersion: 8,
    producerName: "test",
    opsetImport: ml
      ? [
          { domain: "", version: 17 },
          { domain: "ai.onnx.ml", version: 3 },
        ]
      : [{ domain: "", version: 17 }],
    graph,
  });
}

function node(opType: string, input: string[], output: string[], extra: Partial<OnnxNode> = {}): OnnxNode {
  return { opType, input, output, name: `${opType}_${output[0]}`, ...extra };
}

function featureDim(spec: LinearSpec, dynamic: boolean): number | string {
  return dynamic ? "F" : spec.weights.length;
}

/** Layout 1: one float output [N, 1]. */
export function probabilityModel(spec: LinearSpec, options: { dynamicFeatures?: boolean } = {}): Uint8Array {
  const f = spec.weights.length;
  return model({
    name: "probability",
    node: [
      node("MatMul", ["input", "w"], ["z0"]),
      node("Add", ["z0", "b"], ["z"]),
      node("Sigmoid", ["z"], ["p"]),
    ],
    initializer: [floatTensor("w", [f, 1], spec.weights), floatTensor("b", [1], [spec.bias])],
    input: [floatValueInfo("input", ["N", featureDim(spec, options.dynamicFeatures ?? false)])],
    output: [floatValueInfo("p", ["N", 1])],
  });
}

/** Layout 2: one float output [N, 2] = [1 - p, p] (or swapped, to test positiveClass). */
export function twoClassModel(spec: LinearSpec, options: { swapped?: boolean } = {}): Uint8Array {
  const f = spec.weights.length;
  const order = options.swapped ? ["p", "q"] : ["q", "p"];
  return model({
    name: "two_class",
    node: [
      node("MatMul", ["input", "w"], ["z0"]),
      node("Add", ["z0", "b"], ["z"]),
      node("Sigmoid", ["z"], ["p"]),
      node("Sub", ["one", "p"], ["q"]),
      node("Concat", order, ["probs"], { attribute: [{ name: "axis", type: OnnxAttributeType.INT, i: 1 }] }),
    ],
    initializer: [
      floatTensor("w", [f, 1], spec.weights),
      floatTensor("b", [1], [spec.bias]),
      floatTensor("one", [1], [1]),
    ],
    input: [floatValueInfo("input", ["N", f])],
    output: [floatValueInfo("probs", ["N", 2])],
  });
}

function linearClassifier(spec: LinearSpec, label: string, probabilities: string): OnnxNode {
  // skl2onnx writes a binary LogisticRegression as two coefficient rows, [-w, w], with LOGISTIC.
  return node("LinearClassifier", ["input"], [label, probabilities], {
    domain: "ai.onnx.ml",
    attribute: [
      { name: "coefficients", type: OnnxAttributeType.FLOATS, floats: [...spec.weights.map((w) => -w), ...spec.weights] },
      { name: "intercepts", type: OnnxAttributeType.FLOATS, floats: [-spec.bias, spec.bias] },
      { name: "classlabels_ints", type: OnnxAttributeType.INTS, ints: [0, 1] },
      { name: "multi_class", type: OnnxAttributeType.INT, i: 0 },
      { name: "post_transform", type: OnnxAttributeType.STRING, s: encoder.encode("LOGISTIC") },
    ],
  });
}

const labelInfo = (name: string): OnnxValueInfo => floatValueInfo(name, ["N"], OnnxDataType.INT64);

/** Layout 3: skl2onnx with zipmap=False: `label` int64 [N] and `probabilities` float [N, 2]. */
export function skl2onnxModel(spec: LinearSpec): Uint8Array {
  return model(
    {
      name: "skl2onnx",
      node: [linearClassifier(spec, "label", "probabilities")],
      input: [floatValueInfo("input", ["N", spec.weights.length])],
      output: [labelInfo("label"), floatValueInfo("probabilities", ["N", 2])],
    },
    true,
  );
}

/** Layout 4: skl2onnx default: `output_label` and a ZipMap into `output_probability` seq(map(int64, float)). */
export function skl2onnxZipMapModel(spec: LinearSpec): Uint8Array {
  return model(
    {
      name: "skl2onnx_zipmap",
      node: [
        linearClassifier(spec, "label", "probabilities"),
        node("Identity", ["label"], ["output_label"]),
        node("ZipMap", ["probabilities"], ["output_probability"], {
          domain: "ai.onnx.ml",
          attribute: [{ name: "classlabels_int64s", type: OnnxAttributeType.INTS, ints: [0, 1] }],
        }),
      ],
      input: [floatValueInfo("input", ["N", spec.weights.length])],
      output: [
        labelInfo("output_label"),
        {
          name: "output_probability",
          type: {
            sequenceType: {
              elemType: { mapType: { keyType: OnnxDataType.INT64, valueType: { tensorType: { elemType: OnnxDataType.FLOAT } } } },
            },
          },
        },
      ],
    },
    true,
  );
}

/** Refused: a softmax over three classes, [N, 3]. */
export function threeClassModel(features: number): Uint8Array {
  return model({
    name: "three_class",
    node: [node("MatMul", ["input", "w"], ["z"]), node("Softmax", ["z"], ["probs"])],
    initializer: [floatTensor("w", [features, 3], Array.from({ length: features * 3 }, (_, i) => (i % 5) / 10))],
    input: [floatValueInfo("input", ["N", features])],
    output: [floatValueInfo("probs", ["N", 3])],
  });
}

/** Refused: two float outputs [N, 1] (a score and a logit), which is not one of the layouts. */
export function twoScoresModel(spec: LinearSpec): Uint8Array {
  const f = spec.weights.length;
  return model({
    name: "two_scores",
    node: [node("MatMul", ["input", "w"], ["z"]), node("Sigmoid", ["z"], ["p"])],
    initializer: [floatTensor("w", [f, 1], spec.weights)],
    input: [floatValueInfo("input", ["N", f])],
    output: [floatValueInfo("z", ["N", 1]), floatValueInfo("p", ["N", 1])],
  });
}

/** Refused: two inputs. */
export function twoInputModel(): Uint8Array {
  return model({
    name: "two_inputs",
    node: [node("Add", ["a", "b"], ["s"]), node("Sigmoid", ["s"], ["p"])],
    input: [floatValueInfo("a", ["N", 1]), floatValueInfo("b", ["N", 1])],
    output: [floatValueInfo("p", ["N", 1])],
  });
}

/** Refused: an int64 input. */
export function int64InputModel(features: number): Uint8Array {
  return model({
    name: "int_input",
    node: [node("Cast", ["input"], ["x"], { attribute: [{ name: "to", type: OnnxAttributeType.INT, i: OnnxDataType.FLOAT }] }), node("ReduceMean", ["x"], ["m"], { attribute: [{ name: "axes", type: OnnxAttributeType.INTS, ints: [1] }] }), node("Sigmoid", ["m"], ["p"])],
    input: [floatValueInfo("input", ["N", features], OnnxDataType.INT64)],
    output: [floatValueInfo("p", ["N", 1])],
  });
}

/** Accepted by layout but wrong: outputs the logit [N, 1] instead of the probability. */
export function logitModel(spec: LinearSpec): Uint8Array {
  const f = spec.weights.length;
  return model({
    name: "logit",
    node: [node("MatMul", ["input", "w"], ["z0"]), node("Add", ["z0", "b"], ["z"])],
    initializer: [floatTensor("w", [f, 1], spec.weights), floatTensor("b", [1], [spec.bias])],
    input: [floatValueInfo("input", ["N", f])],
    output: [floatValueInfo("z", ["N", 1])],
  });
}

/** Refused: the probabilities wrapped in a sequence, a non-tensor output that is not a ZipMap's. */
export function sequenceOutputModel(spec: LinearSpec): Uint8Array {
  const f = spec.weights.length;
  return model({
    name: "sequence",
    node: [node("MatMul", ["input", "w"], ["z"]), node("Sigmoid", ["z"], ["p"]), node("SequenceConstruct", ["p"], ["ps"])],
    initializer: [floatTensor("w", [f, 1], spec.weights)],
    input: [floatValueInfo("input", ["N", f])],
    output: [{ name: "ps", type: { sequenceType: { elemType: { tensorType: { elemType: OnnxDataType.FLOAT } } } } }],
  });
}
