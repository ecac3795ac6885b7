import { describe, expect, it } from "vitest";
import { Rng } from "../src/random.js";
import { auc, distribution, formatSummary } from "../src/summary.js";

function bruteAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((s, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((t, j) => {
      if (labels[j] === 1) return;
      pairs++;
      wins += s > t ? 1 : s === t ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe("auc", () => {
  it("equals the pairwise definition, ties included", () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + rng.int(150);
      // Coarse scores so that ties happen.
      const scores = Array.from({ length: n }, () => Math.round(rng.next() * 20) / 20);
      const labels = scores.map((s) => (rng.next() < s ? 1 : 0));
      expect(auc(Float64Array.from(scores), Uint8Array.from(labels))).toBeCloseTo(bruteAuc(scores, labels), 12);
    }
  });

  it("is 1 for a perfect ranking, 0.5 for a constant and NaN with one class", () => {
    expect(auc(Float64Array.from([0.1, 0.2, 0.8, 0.9]), Uint8Array.from([0, 0, 1, 1]))).toBe(1);
    expect(auc(Float64Array.from([0.3, 0.3, 0.3]), Uint8Array.from([0, 1, 1]))).toBe(0.5);
    expect(auc(Float64Array.from([0.3, 0.4]), Uint8Array.from([1, 1]))).toBeNaN();
  });

  it("skips users without a numeric score", () => {
    expect(auc(Float64Array.from([0.1, Number.NaN, 0.9]), Uint8Array.from([0, 0, 1]))).toBe(1);
  });
});

describe("distribution", () => {
  it("counts, bins and summarises", () => {
    const d = distribution(Float64Array.from([0.05, 0.15, 0.15, 0.95, 1, Number.NaN]));
    expect(d.count).toBe(5);
    expect(d.nonNumeric).toBe(1);
    expect(d.histogram).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(d.mean).toBeCloseTo(0.46, 10);
    expect(d.min).toBe(0.05);
    expect(d.max).toBe(1);
    expect(d.quantiles.p50).toBeCloseTo(0.1505, 3);
  });

  it("formats a summary that names the checks", () => {
    const text = formatSummary({
      runId: "r1",
      users: 10,
      usersScored: 10,
      exactlyOnce: true,
      scoreProperty: "Rating",
      category: "Predictions",
      distribution: distribution(Float64Array.from([0.1, 0.9])),
      auc: 0.8123,
      batches: 2,
      stages: [{ stage: "batch", wallMs: 2000, users: 10, processes: 2 }],
      storePath: "/tmp/x.sqlite",
      exampleQuery: "SELECT 1",
      faults: "none",
    });
    expect(text).toContain("10 of 10 users scored in 2 batches");
    expect(text).toContain("exactly once: yes");
    expect(text).toContain("AUC of Rating against y_value: 0.8123");
    expect(text).toContain("5 users/s");
  });
});
