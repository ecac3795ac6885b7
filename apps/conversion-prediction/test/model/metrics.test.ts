import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { constantLogLoss, decileTable, logLoss, quantiles, rocAuc } from "../../src/model/metrics.js";

/** The AUC by its definition: P(score of a positive > score of a negative), ties counting half. */
function pairwiseAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((s, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((t, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe("rocAuc", () => {
  it("is 1 for a perfect ranking, 0 for a reversed one, 0.5 for all ties", () => {
    expect(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc([0.1, 0.2], [1, 1])).toBeNaN();
  });

  it("equals the pairwise definition, ties included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 60 }),
        (pairs) => {
          const scores = pairs.map(([s]) => s / 5);
          const labels = pairs.map(([, l]) => l);
          if (!labels.includes(0) || !labels.includes(1)) return;
          expect(rocAuc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 10);
        },
      ),
    );
  });
});

describe("logLoss", () => {
  it("matches the formula and stays finite for a sure miss", () => {
    expect(logLoss([0.8, 0.3], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.7)) / 2, 12);
    expect(Number.isFinite(logLoss([0], [1]))).toBe(true);
    expect(constantLogLoss(0.5, [0, 1, 1])).toBeCloseTo(Math.log(2), 12);
  });
});

describe("decileTable", () => {
  it("puts the highest scores first, covers every row and computes the lift", () => {
    const scores = Array.from({ length: 100 }, (_, i) => i / 100);
    const labels = scores.map((s) => (s >= 0.9 ? 1 : 0));
    const table = decileTable(scores, labels);
    expect(table).toHaveLength(10);
    expect(table.reduce((n, row) => n + row.users, 0)).toBe(100);
    expect(table[0]).toMatchObject({ decile: 1, users: 10, conversionRate: 1, lift: 10 });
    expect(table[9]).toMatchObject({ decile: 10, conversionRate: 0, lift: 0 });
    expect(table[0]!.meanPredicted).toBeCloseTo(0.945, 6);
  });
});

describe("quantiles", () => {
  it("interpolates between order statistics", () => {
    expect(quantiles([3, 1, 2, 4, 5], [0, 0.5, 1, 0.25])).toEqual([1, 3, 5, 2]);
  });
});
