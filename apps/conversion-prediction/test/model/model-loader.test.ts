import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { ConversionPredictionError } from "../../src/errors.js";
import { loadScoringModel } from "../../src/model/model-loader.js";
import { decodeOnnxModel } from "../../src/model/onnx-proto.js";
import { removeZipMap } from "../../src/model/zipmap-rewrite.js";
import {
  expectedProbability,
  int64InputModel,
  probabilityModel,
  sequenceOutputModel,
  skl2onnxModel,
  skl2onnxZipMapModel,
  threeClassModel,
  twoClassModel,
  twoInputModel,
  twoScoresModel,
  type LinearSpec,
} from "../helpers/test-models.js";

const spec: LinearSpec = { weights: [0.8, -1.2, 0.3], bias: -0.4 };
const rows = [
  [0, 0, 0],
  [1, 2, 3],
  [-1.5, 0.25, 4],
  [2, -1, -2],
  [0.5, 0.5, 0.5],
];
const features = Float32Array.from(rows.flat());
const expected = rows.map((row) => expectedProbability(spec, Float32Array.from(row)));

async function scoresOf(bytes: Uint8Array, options: { positiveClass?: number } = {}) {
  const model = await loadScoringModel(bytes, { featureCount: 3, ...options });
  try {
    const scores = Array.from(await model.score(features, rows.length));
    return { layout: model.layout, scores };
  } finally {
    await model.release();
  }
}

async function refusal(promise: Promise<unknown>): Promise<ConversionPredictionError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConversionPredictionError);
  return error as ConversionPredictionError;
}

describe("loadScoringModel accepts each layout", () => {
  it("one float output [N, 1]", async () => {
    const { layout, scores } = await scoresOf(probabilityModel(spec));
    expect(layout).toBe("probability");
    scores.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 5));
  });

  it("a dynamic feature dimension", async () => {
    const { scores } = await scoresOf(probabilityModel(spec, { dynamicFeatures: true }));
    scores.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 5));
  });

  it("class probabilities [N, 2], positive class 1 by default and 0 when set", async () => {
    const plain = await scoresOf(twoClassModel(spec));
    expect(plain.layout).toBe("class-probabilities");
    plain.scores.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 5));
    const swapped = await scoresOf(twoClassModel(spec, { swapped: true }), { positiveClass: 0 });
    swapped.scores.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 5));
  });

  it("skl2onnx label + probabilities", async () => {
    const { layout, scores } = await scoresOf(skl2onnxModel(spec));
    expect(layout).toBe("skl2onnx");
    scores.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 5));
  });

  it("skl2onnx default layout with a ZipMap, rewritten before the session", async () => {
    const { layout, scores } = await scoresOf(skl2onnxZipMapModel(spec));
    expect(layout).toBe("skl2onnx-zipmap");
    scores.forEach((p, i) => expect(p).toBeCloseTo(expected[i]!, 5));
  });
});

describe("removeZipMap", () => {
  it("makes the probabilities tensor the output and keeps every other node", () => {
    const original = skl2onnxZipMapModel(spec);
    const { bytes, replaced } = removeZipMap(original);
    expect(replaced).toEqual([{ from: "output_probability", to: "probabilities" }]);
    const before = decodeOnnxModel(original);
    const after = decodeOnnxModel(bytes);
    expect(after.graph?.output?.map((o) => o.name)).toEqual(["output_label", "probabilities"]);
    expect(after.graph?.node?.map((n) => n.opType)).toEqual(["LinearClassifier", "Identity"]);
    expect(after.opsetImport).toEqual(before.opsetImport);
    expect(after.producerName).toBe(before.producerName);
    expect(after.graph?.output?.[1]?.type?.tensorType?.shape?.dim?.[1]?.dimValue).toBe(2);
  });

  it("keeps fields its schema does not know byte for byte", () => {
    // ModelProto.metadata_props (14) = {key: "author", value: "someone"}, which onnx-proto.ts leaves out.
    const entry = protobuf.Writer.create().uint32(10).string("author").uint32(18).string("someone").finish();
    const extra = protobuf.Writer.create().uint32((14 << 3) | 2).bytes(entry).finish();
    const original = skl2onnxZipMapModel(spec);
    const withExtra = new Uint8Array(original.length + extra.length);
    withExtra.set(original);
    withExtra.set(extra, original.length);
    const { bytes } = removeZipMap(withExtra);
    expect(Buffer.from(bytes).includes(Buffer.from(extra))).toBe(true);
    expect(bytes.length).toBeLessThan(withExtra.length);
  });

  it("returns the same bytes when there is no ZipMap", () => {
    const original = skl2onnxModel(spec);
    expect(removeZipMap(original).bytes).toBe(original);
  });
});

describe("loadScoringModel refuses", () => {
  it("a wrong feature count, giving both numbers", async () => {
    const error = await refusal(loadScoringModel(probabilityModel(spec), { featureCount: 5 }));
    expect(error.code).toBe("MODEL_FEATURE_COUNT");
    expect(error.message).toContain("expects 3 features");
    expect(error.message).toContain("lists 5");
  });

  it("three classes, listing what it found and what it accepts", async () => {
    const error = await refusal(loadScoringModel(threeClassModel(3), { featureCount: 3 }));
    expect(error.code).toBe("MODEL_OUTPUT_UNSUPPORTED");
    expect(error.message).toContain("probs: tensor(float) [N, 3]");
    expect(error.message).toContain("skl2onnx");
  });

  it("two float outputs", async () => {
    const error = await refusal(loadScoringModel(twoScoresModel(spec), { featureCount: 3 }));
    expect(error.code).toBe("MODEL_OUTPUT_UNSUPPORTED");
    expect(error.message).toContain("z: tensor(float) [N, 1]; p: tensor(float) [N, 1]");
  });

  it("a non-tensor output that is not a ZipMap's, naming its type", async () => {
    const error = await refusal(loadScoringModel(sequenceOutputModel(spec), { featureCount: 3 }));
    expect(error.code).toBe("MODEL_OUTPUT_UNSUPPORTED");
    expect(error.message).toContain("ps: seq(tensor(float) [])");
  });

  it("two inputs and a non-float input", async () => {
    expect((await refusal(loadScoringModel(twoInputModel(), { featureCount: 2 }))).code).toBe("MODEL_INPUT_UNSUPPORTED");
    const error = await refusal(loadScoringModel(int64InputModel(3), { featureCount: 3 }));
    expect(error.code).toBe("MODEL_INPUT_UNSUPPORTED");
    expect(error.message).toContain("int64");
  });

  it("bytes that are not a model", async () => {
    const error = await refusal(loadScoringModel(new TextEncoder().encode("<html>not found</html>"), { featureCount: 3 }));
    expect(error.code).toBe("MODEL_INVALID");
  });

  it("a positive class outside 0..1", async () => {
    const error = await refusal(loadScoringModel(twoClassModel(spec), { featureCount: 3, positiveClass: 2 }));
    expect(error.code).toBe("OPTIONS_INVALID");
  });
});
