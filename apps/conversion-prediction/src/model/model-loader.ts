import * as ort from "onnxruntime-node";
import { ConversionPredictionError } from "../errors.js";
import type { OnnxTypeProto } from "./onnx-proto.js";

/** The output layouts a model may have; see `describeAcceptedLayouts`. */
export type ModelLayout = "probability" | "class-probabilities" | "skl2onnx" | "skl2onnx-zipmap";

export interface LoadModelOptions {
  /** The number of dataset columns fed to the model (options.features.length). */
  featureCount: number;
  /** The class whose probability is the score in a [N, 2] output (default 1). */
  positiveClass?: number;
  /** Where the model came from, for messages (a path or a redacted URL). */
  source?: string;
  /** How the caller counts featureCount, for the feature-count error (default "options.features lists N"). */
  featureCountText?: string;
  intraOpNumThreads?: number;
}

export interface ScoringModel {
  layout: ModelLayout;
  inputName: string;
  outputName: string;
  /** Columns of the probability output: 1 or the number of classes. */
  outputWidth: number;
  /** The column of the output read as the score. */
  scoreColumn: number;
  /**
   * Scores `rows` rows of `features` (row-major, `featureCount` wide) and returns their probabilities
   * in a buffer reused by the next call: copy before calling again. No copy of `features` is made.
   */
  score(features: Float32Array, rows: number): Promise<Float32Array>;
  release(): Promise<void>;
}

const acceptedLayouts = [
  "one float output [N, 1]: the positive-class probability",
  "one float output [N, 2]: class probabilities, score = column options.positiveClass (default 1)",
  "skl2onnx: an int64 label output [N] plus a float probabilities output [N, 2]",
  "skl2onnx default: label plus a ZipMap over the probabilities (the ZipMap is removed on load)",
];

export function describeAcceptedLayouts(): string[] {
  return [...acceptedLayouts];
}

/**
 * Checks a model and creates the one inference session the batch stage uses. The checks happen
 * here, before any row is read, so a wrong model fails fast with what was found and what is needed.
 */
export async function loadScoringModel(bytes: Uint8Array, options: LoadModelOptions): Promise<ScoringModel> {
  const where = options.source ?? "model.onnx";
  // The session's own metadata drives the checks: decoding a large model (tree ensembles) into
  // JavaScript objects would cost more time and memory than scoring it.
  let session = await createSession(bytes, options, where);
  let zipMapRemoved = false;
  if (session.outputMetadata.some((output) => !output.isTensor)) {
    // Loaded on demand: only skl2onnx's default layout needs the protobuf code.
    const { removeZipMap } = await import("./zipmap-rewrite.js");
    const rewrite = removeZipMap(bytes);
    if (rewrite.replaced.length > 0) {
      await session.release();
      session = await createSession(rewrite.bytes, options, where);
      zipMapRemoved = true;
    }
  }
  try {
    const listed = await describeOutputs(session, bytes);
    const inputName = checkInput(session, options.featureCount, options.featureCountText ?? `options.features lists ${options.featureCount}`, where);
    const output = chooseOutput(session, listed, zipMapRemoved, options.positiveClass ?? 1, where);
    return createScorer(session, inputName, output, options.featureCount);
  } catch (error) {
    await session.release();
    throw error;
  }
}

async function createSession(bytes: Uint8Array, options: LoadModelOptions, where: string): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: options.intraOpNumThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
  } catch (error) {
    throw new ConversionPredictionError(
      "MODEL_INVALID",
      `Could not load ${where} in onnxruntime: ${(error as Error).message}`,
      { cause: error, hint: "Upload the .onnx file itself (not a zip, pickle or JSON), exported with tensor inputs, e.g. by skl2onnx or onnxmltools." },
    );
  }
}

/** "name: tensor(float) [N, 2]" per output; the graph's declared type for a non-tensor output. */
async function describeOutputs(session: ort.InferenceSession, bytes: Uint8Array): Promise<string[]> {
  const tensorNames: Record<string, string> = { float32: "float", float64: "double", int64: "int64", int32: "int32", string: "string", bool: "bool" };
  let declared: Map<string, string> | undefined;
  const out: string[] = [];
  for (const output of session.outputMetadata) {
    if (output.isTensor) {
      out.push(`${output.name}: tensor(${tensorNames[output.type] ?? output.type}) [${output.shape.join(", ")}]`);
      continue;
    }
    if (declared === undefined) {
      const { decodeOnnxModel } = await import("./onnx-proto.js");
      declared = new Map((decodeOnnxModel(bytes).graph?.output ?? []).map((o) => [o.name ?? "", describeType(o.type)]));
    }
    out.push(`${output.name}: ${declared.get(output.name) ?? "a non-tensor value"}`);
  }
  return out;
}

function describeType(type: OnnxTypeProto | undefined): string {
  if (type === undefined) return "unknown type";
  if (type.tensorType !== undefined) {
    const dims = (type.tensorType.shape?.dim ?? []).map((d) => d.dimParam ?? (d.dimValue === undefined ? "?" : String(d.dimValue)));
    return `tensor(${elementNames[type.tensorType.elemType ?? 0] ?? `type ${type.tensorType.elemType}`}) [${dims.join(", ")}]`;
  }
  if (type.sequenceType !== undefined) return `seq(${describeType(type.sequenceType.elemType)})`;
  if (type.mapType !== undefined) {
    return `map(${elementNames[type.mapType.keyType ?? 0] ?? "?"}, ${describeType(type.mapType.valueType)})`;
  }
  return "unknown type";
}

const elementNames: Record<number, string> = {
  1: "float",
  2: "uint8",
  3: "int8",
  6: "int32",
  7: "int64",
  8: "string",
  9: "bool",
  10: "float16",
  11: "double",
};

function checkInput(session: ort.InferenceSession, featureCount: number, countText: string, where: string): string {
  const inputs = session.inputMetadata;
  const input = inputs[0];
  if (inputs.length !== 1 || input === undefined) {
    throw new ConversionPredictionError(
      "MODEL_INPUT_UNSUPPORTED",
      `${where} has ${inputs.length} inputs (${inputs.map((i) => i.name).join(", ")}); exactly one float input [N, F] is accepted`,
      { hint: "Export the model with a single float tensor input holding all features, e.g. skl2onnx FloatTensorType([None, F])." },
    );
  }
  if (!input.isTensor || input.type !== "float32" || input.shape.length !== 2) {
    const found = input.isTensor ? `${input.type} [${input.shape.join(", ")}]` : "a non-tensor value";
    throw new ConversionPredictionError(
      "MODEL_INPUT_UNSUPPORTED",
      `${where} input "${input.name}" is ${found}; a float32 tensor [N, F] is accepted`,
      { hint: "Export the model with a single float tensor input holding all features, e.g. skl2onnx FloatTensorType([None, F])." },
    );
  }
  const width = input.shape[1];
  if (typeof width === "number" && width >= 0 && width !== featureCount) {
    throw new ConversionPredictionError(
      "MODEL_FEATURE_COUNT",
      `${where} expects ${width} features per user but ${countText}`,
      { hint: `Set options.features to the ${width} dataset columns the model was trained on, in training order.` },
    );
  }
  return input.name;
}

interface ChosenOutput {
  name: string;
  layout: ModelLayout;
  width: number;
  scoreColumn: number;
}

function chooseOutput(
  session: ort.InferenceSession,
  listed: string[],
  zipMapRemoved: boolean,
  positiveClass: number,
  where: string,
): ChosenOutput {
  const outputs = session.outputMetadata;
  const floats = outputs.filter((o) => o.isTensor && o.type === "float32" && o.shape.length === 2);
  const labels = outputs.filter((o) => o.isTensor && (o.type === "int64" || o.type === "string") && o.shape.length <= 1);
  const refuse = (why: string): never => {
    throw new ConversionPredictionError(
      "MODEL_OUTPUT_UNSUPPORTED",
      `${where} outputs are not a supported layout (${why}); found: ${listed.join("; ")}. Accepted: ${acceptedLayouts.join("; ")}`,
      { hint: "Export a binary classifier whose probabilities are a float tensor [N, 1] or [N, 2] (skl2onnx output is accepted as is)." },
    );
  };
  let probabilities: (typeof outputs)[number] | undefined;
  let layout: ModelLayout;
  if (outputs.length === 1 && floats.length === 1) {
    probabilities = floats[0];
    layout = "probability";
  } else if (outputs.length === 2 && floats.length === 1 && labels.length === 1) {
    probabilities = floats[0];
    layout = zipMapRemoved ? "skl2onnx-zipmap" : "skl2onnx";
  } else {
    return refuse(`${outputs.length} outputs, ${floats.length} of them float [N, C]`);
  }
  if (probabilities === undefined || !probabilities.isTensor) return refuse("no float output");
  const declared = probabilities.shape[1];
  // A symbolic class dimension is resolved on the first run; skl2onnx always declares 2.
  const width = typeof declared === "number" ? declared : 0;
  if (width === 1 && layout === "probability") return { name: probabilities.name, layout, width, scoreColumn: 0 };
  if (width === 1) return refuse(`"${probabilities.name}" has 1 column next to a label`);
  if (width > 2) return refuse(`"${probabilities.name}" has ${width} classes; only binary models are accepted`);
  if (width === 2 && layout === "probability") layout = "class-probabilities";
  if (!Number.isInteger(positiveClass) || positiveClass < 0 || positiveClass > 1) {
    throw new ConversionPredictionError(
      "OPTIONS_INVALID",
      `options.positiveClass is ${positiveClass} but ${where} has 2 classes (0 and 1)`,
      { hint: "Set options.positiveClass to 0 or 1: the column of the converting class." },
    );
  }
  return { name: probabilities.name, layout, width, scoreColumn: positiveClass };
}

function createScorer(
  session: ort.InferenceSession,
  inputName: string,
  output: ChosenOutput,
  featureCount: number,
): ScoringModel {
  let scores = new Float32Array(0);
  const fetches = [output.name];
  const model: ScoringModel = {
    layout: output.layout,
    inputName,
    outputName: output.name,
    outputWidth: output.width,
    scoreColumn: output.scoreColumn,
    async score(features, rows) {
      if (scores.length < rows) scores = new Float32Array(Math.max(rows, scores.length * 2));
      if (rows === 0) return scores.subarray(0, 0);
      const input = new ort.Tensor("float32", features.subarray(0, rows * featureCount), [rows, featureCount]);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run({ [inputName]: input }, fetches);
      } catch (error) {
        throw new ConversionPredictionError(
          "MODEL_RUN_FAILED",
          `Scoring ${rows} users of ${featureCount} features failed in onnxruntime: ${(error as Error).message}`,
          { cause: error, hint: "Check that options.features lists the columns the model was trained on, in order." },
        );
      }
      const tensor = result[output.name] as ort.Tensor;
      const data = tensor.data as Float32Array;
      const width = tensor.dims.length === 2 ? Number(tensor.dims[1]) : 1;
      if (model.outputWidth === 0) resolveWidth(model, width, output.name);
      if (data.length !== rows * width || width !== model.outputWidth) {
        throw new ConversionPredictionError(
          "MODEL_OUTPUT_INVALID",
          `The model returned ${data.length} values in "${output.name}" [${tensor.dims.join(", ")}] for ${rows} users`,
          { hint: "Export the model so that it returns one row of probabilities per input row." },
        );
      }
      const column = model.scoreColumn;
      if (width === 1) {
        scores.set(data, 0);
      } else {
        for (let i = 0; i < rows; i++) scores[i] = data[i * width + column]!;
      }
      tensor.dispose();
      return scores.subarray(0, rows);
    },
    release: () => session.release(),
  };
  return model;
}

function resolveWidth(model: ScoringModel, width: number, name: string): void {
  if (width === 1 && model.layout === "probability") {
    model.outputWidth = 1;
    model.scoreColumn = 0;
  } else if (width === 2) {
    model.outputWidth = 2;
    if (model.layout === "probability") model.layout = "class-probabilities";
  } else {
    throw new ConversionPredictionError(
      "MODEL_OUTPUT_UNSUPPORTED",
      `"${name}" returned ${width} columns; accepted: ${acceptedLayouts.join("; ")}`,
      { hint: "Export a binary classifier whose probabilities are a float tensor [N, 1] or [N, 2]." },
    );
  }
}
