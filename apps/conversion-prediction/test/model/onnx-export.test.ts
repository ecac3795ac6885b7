import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { encodeDesign, inputWidth, type FeaturePipeline } from "../../src/model/feature-pipeline.js";
import { predictLogistic } from "../../src/model/logistic-regression.js";
import { exportedInputName, exportedOutputName, exportLogisticModel } from "../../src/model/onnx-export.js";
import { decodeOnnxModel } from "../../src/model/onnx-proto.js";
import { seededRandom } from "../helpers/random.js";

const pipeline: FeaturePipeline = {
  features: [
    // A timestamp-sized number: standardisation in the graph keeps it precise.
    { column: "created", kind: "number", fill: 1.7e9, center: 1.7e9, scale: 1 / 3e7 },
    { column: "amount", kind: "number", fill: 12.5, center: 12.5, scale: 0.2 },
    { column: "paid", kind: "boolean", fill: 0.3, center: 0, scale: 1 },
    { column: "country", kind: "categorical", categories: ["US", "NL", "DE"] },
  ],
};
const model = { intercept: -0.7, weights: Float64Array.from([0.9, -1.3, 0.8, 0.6, -0.2, -0.9]), iterations: 5, converged: true };

describe("exportLogisticModel", () => {
  it("writes a model with one [N, F] input and one [N, 1] output", () => {
    const decoded = decodeOnnxModel(exportLogisticModel(pipeline, model));
    expect(decoded.graph?.input?.map((i) => i.name)).toEqual([exportedInputName]);
    expect(decoded.graph?.output?.map((o) => o.name)).toEqual([exportedOutputName]);
    expect(decoded.graph?.input?.[0]?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam ?? d.dimValue)).toEqual(["N", 6]);
    expect(decoded.producerName).toBe("batchkit-conversion-prediction");
  });

  it("scores as the TypeScript model does within 1e-5, through onnxruntime", async () => {
    const random = seededRandom(5);
    const rows = 5000;
    const width = inputWidth(pipeline);
    const inputs = new Float32Array(rows * width);
    for (let i = 0; i < rows; i++) {
      const row = inputs.subarray(i * width, (i + 1) * width);
      row[0] = 1.7e9 + (random() - 0.5) * 1e8;
      row[1] = random() * 40;
      row[2] = random() < 0.5 ? 1 : 0;
      const country = Math.floor(random() * 4); // 3 = a category the model does not know: all zeros
      if (country < 3) row[3 + country] = 1;
    }
    const expected = predictLogistic(model, encodeDesign(inputs, rows, pipeline));
    const session = await ort.InferenceSession.create(exportLogisticModel(pipeline, model));
    const out = await session.run({ [exportedInputName]: new ort.Tensor("float32", inputs, [rows, width]) });
    const actual = out[exportedOutputName]!.data as Float32Array;
    let largest = 0;
    for (let i = 0; i < rows; i++) largest = Math.max(largest, Math.abs(actual[i]! - expected[i]!));
    expect(largest).toBeLessThan(1e-5);
    // The probabilities spread out: a constant output would pass the comparison too easily.
    expect(Math.max(...actual) - Math.min(...actual)).toBeGreaterThan(0.5);
    await session.release();
  });

  it("refuses a model whose weights do not match the pipeline", () => {
    expect(() => exportLogisticModel(pipeline, { ...model, weights: new Float64Array(3) })).toThrow(/3 weights but the pipeline has 6 inputs/);
  });
});
