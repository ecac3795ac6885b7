import { describe, expect, it } from "vitest";
import { ConversionPredictionError } from "../../src/errors.js";
import { fitLogisticRegression, predictLogistic, sigmoid } from "../../src/model/logistic-regression.js";
import { constantLogLoss, logLoss, rocAuc } from "../../src/model/metrics.js";
import { normal, seededRandom } from "../helpers/random.js";

function planted(rows: number, weights: number[], intercept: number, seed: number) {
  const random = seededRandom(seed);
  const width = weights.length;
  const values = new Float64Array(rows * width);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let z = intercept;
    for (let j = 0; j < width; j++) {
      const v = normal(random);
      values[i * width + j] = v;
      z += weights[j]! * v;
    }
    y[i] = random() < sigmoid(z) ? 1 : 0;
  }
  return { x: { values, rows, width }, y };
}

describe("fitLogisticRegression", () => {
  it("recovers planted coefficients", () => {
    const weights = [1.5, -0.8, 0, 0.4];
    const { x, y } = planted(20_000, weights, -0.5, 1);
    const model = fitLogisticRegression(x, y, { l2: 1e-3 });
    expect(model.converged).toBe(true);
    expect(model.intercept).toBeCloseTo(-0.5, 1);
    model.weights.forEach((w, j) => expect(Math.abs(w - weights[j]!)).toBeLessThan(0.08));
  });

  it("shrinks weights toward zero as the penalty grows", () => {
    const { x, y } = planted(2_000, [2, -2], 0, 2);
    const loose = fitLogisticRegression(x, y, { l2: 1e-6 });
    const tight = fitLogisticRegression(x, y, { l2: 1e4 });
    const norm = (w: Float64Array) => Math.hypot(...w);
    expect(norm(tight.weights)).toBeLessThan(norm(loose.weights) / 5);
  });

  it("stays finite on separable data and on a constant column", () => {
    const values = Float64Array.from([-2, 1, -1, 1, 1, 1, 2, 1]);
    const y = Uint8Array.from([0, 0, 1, 1]);
    const model = fitLogisticRegression({ values, rows: 4, width: 2 }, y, { l2: 0.1 });
    expect(Number.isFinite(model.intercept)).toBe(true);
    model.weights.forEach((w) => expect(Number.isFinite(w)).toBe(true));
    const p = predictLogistic(model, { values, rows: 4, width: 2 });
    expect(p[3]!).toBeGreaterThan(0.5);
    expect(p[0]!).toBeLessThan(0.5);
  });

  it("beats the constant baseline out of sample", () => {
    const train = planted(5_000, [1, 1], -1, 3);
    const test = planted(5_000, [1, 1], -1, 4);
    const model = fitLogisticRegression(train.x, train.y);
    const p = predictLogistic(model, test.x);
    const rate = train.y.reduce((a, b) => a + b, 0) / train.y.length;
    expect(logLoss(p, test.y)).toBeLessThan(constantLogLoss(rate, test.y) - 0.05);
    expect(rocAuc(p, test.y)).toBeGreaterThan(0.75);
  });

  it("refuses an empty design and mismatched labels with typed errors", () => {
    const empty = () => fitLogisticRegression({ values: new Float64Array(0), rows: 0, width: 2 }, new Uint8Array(0));
    expect(empty).toThrow(ConversionPredictionError);
    const mismatch = () => fitLogisticRegression({ values: new Float64Array(4), rows: 2, width: 2 }, new Uint8Array(3));
    expect(mismatch).toThrow(/2 rows but 3 labels/);
  });
});
