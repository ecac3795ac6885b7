import { describe, expect, it } from "vitest";
import { RowSample } from "../../src/model/row-sample.js";
import { ScoreSummary } from "../../src/score-summary.js";

describe("RowSample", () => {
  it("keeps every row below capacity, in order", () => {
    const sample = new RowSample(2, 100);
    for (let i = 0; i < 40; i++) sample.add(Float32Array.from([i, -i]), 0, (i % 2) as 0 | 1);
    const { inputs, labels, rows } = sample.view();
    expect(rows).toBe(40);
    expect(Array.from(inputs.subarray(0, 4))).toEqual([0, -0, 1, -1]);
    expect(labels[39]).toBe(1);
  });

  it("keeps a uniform sample of capacity rows past it", () => {
    const sample = new RowSample(1, 1000, 9);
    for (let i = 0; i < 20_000; i++) sample.add(Float32Array.from([i]), 0, 0);
    const { inputs, rows } = sample.view();
    expect(rows).toBe(1000);
    expect(sample.seen).toBe(20_000);
    const mean = inputs.reduce((s, v) => s + v, 0) / rows;
    // Uniform over 0..19999: mean 10,000, standard error about 180.
    expect(Math.abs(mean - 10_000)).toBeLessThan(800);
    expect(inputs.some((v) => v >= 10_000)).toBe(true);
  });
});

describe("ScoreSummary", () => {
  it("gives quantiles to the histogram's resolution", () => {
    const summary = new ScoreSummary();
    summary.add(Float32Array.from({ length: 1001 }, (_, i) => i / 1000));
    expect(summary.users).toBe(1001);
    expect(summary.quantile(0.5)).toBeCloseTo(0.5, 3);
    expect(summary.quantile(0.9)).toBeCloseTo(0.9, 3);
    expect(summary.quantileFields()["p99"]).toBeCloseTo(0.99, 3);
    expect(new ScoreSummary().quantileFields()).toEqual({});
  });
});
