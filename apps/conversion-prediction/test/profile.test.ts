import { describe, expect, it } from "vitest";
import { chooseFeatures, defaultSelectionRules, pipelineOf } from "../src/feature-selection.js";
import { DatasetProfiler, declaredKind, missingMarker, parseLabel } from "../src/profile.js";

function profileOf(columns: string[], rows: unknown[][], labels: unknown[]) {
  const profiler = new DatasetProfiler(columns, { f_num: { name: "Amount", type: "number" } });
  // Two batches, to check that accumulation carries over.
  const half = Math.floor(rows.length / 2);
  for (const [from, to] of [
    [0, half],
    [half, rows.length],
  ] as const) {
    const part = rows.slice(from, to);
    profiler.addBatch(part.length, labels.slice(from, to), columns.map((_, k) => part.map((r) => r[k])));
  }
  return profiler.finish();
}

describe("DatasetProfiler", () => {
  const columns = ["f_num", "f_bool", "f_cat", "f_empty", "f_const"];
  const rows: unknown[][] = Array.from({ length: 1000 }, (_, i) => [
    i % 10 === 0 ? null : i,
    i % 2 === 0 ? true : "false",
    i % 100 === 0 ? `rare-${i}` : ["a", "b", "c"][i % 3],
    null,
    7,
  ]);
  const labels = rows.map((_, i) => (i % 4 === 0 ? "true" : i === 1 ? null : "false"));
  const profile = profileOf(columns, rows, labels);

  it("counts users, conversions and unlabelled users", () => {
    expect(profile.users).toBe(1000);
    expect(profile.conversions).toBe(250);
    expect(profile.unlabelled).toBe(1);
    expect(profile.conversionRate).toBeCloseTo(250 / 999, 5);
  });

  it("types each column and summarises it", () => {
    const [num, bool, cat, empty, constant] = profile.features;
    expect(num).toMatchObject({ column: "f_num", name: "Amount", declaredType: "number", type: "number", missing: 100, missingRate: 0.1 });
    expect(num!.mean).toBeCloseTo(rows.filter((r) => r[0] !== null).reduce((s, r) => s + (r[0] as number), 0) / 900, 9);
    expect(num!.quantiles!.p50).toBeCloseTo(500, -1);
    expect(num!.min).toBe(1);
    expect(num!.max).toBe(999);
    expect(bool).toMatchObject({ type: "boolean", trueRate: 0.5, missing: 0 });
    expect(cat!.type).toBe("categorical");
    expect(cat!.topCategories!.slice(0, 3).map((c) => c.value).sort()).toEqual(["a", "b", "c"]);
    expect(cat!.distinctCategories).toBe(13);
    expect(empty).toMatchObject({ type: "empty", missingRate: 1 });
    expect(constant!.std).toBe(0);
  });

  it("chooses features by the rules and gives the reason for each one left out", () => {
    const choices = chooseFeatures(profile, defaultSelectionRules);
    const byColumn = new Map(choices.map((c) => [c.column, c]));
    expect(byColumn.get("f_num")).toMatchObject({ selected: true, encoding: { kind: "number", fill: profile.features[0]!.mean } });
    expect(byColumn.get("f_bool")).toMatchObject({ selected: true, encoding: { kind: "boolean", fill: 0.5, center: 0, scale: 1 } });
    // Rare categories (one user each) are not one-hot encoded.
    expect(byColumn.get("f_cat")!.encoding).toEqual({ column: "f_cat", kind: "categorical", categories: expect.arrayContaining(["a", "b", "c"]) });
    expect((byColumn.get("f_cat")!.encoding as { categories: string[] }).categories).toHaveLength(3);
    expect(byColumn.get("f_empty")).toMatchObject({ selected: false, reason: "no values" });
    expect(byColumn.get("f_const")).toMatchObject({ selected: false, reason: "the same value for every user" });
    expect(pipelineOf(choices).features.map((f) => f.column)).toEqual(["f_num", "f_bool", "f_cat"]);
  });

  it("reads y_value as the strings true/false, booleans or 1/0", () => {
    expect([parseLabel("true"), parseLabel("false"), parseLabel(true), parseLabel(0), parseLabel("yes"), parseLabel(null)]).toEqual([1, 0, 1, 0, undefined, undefined]);
  });
});

describe("the float path of declared numbers and booleans", () => {
  it("knows the platform's type names, and leaves strings and unknown types to the raw path", () => {
    expect(declaredKind({ type: "number" })).toBe("number");
    expect(declaredKind({ type: "Boolean" })).toBe("boolean");
    expect(declaredKind({ nativeType: "int" })).toBe("number");
    expect(declaredKind({ type: "categorical", nativeType: "string" })).toBeUndefined();
    expect(declaredKind(undefined)).toBeUndefined();
  });

  it("counts the marker as missing and 1/0 of a declared boolean as true/false", () => {
    const profiler = new DatasetProfiler(["amount", "paid"], { amount: { type: "number" }, paid: { type: "boolean" } });
    // Two columns per row, as the reader lays them out.
    const features = Float32Array.from([1, 1, missingMarker, 0, 3, missingMarker, 4, 1]);
    profiler.addLabels(4, ["true", "false", "false", "false"]);
    profiler.addFloats(0, 4, features, 2, 0);
    profiler.addFloats(1, 4, features, 2, 1);
    const [amount, paid] = profiler.finish().features;
    expect(amount).toMatchObject({ type: "number", missing: 1, mean: 8 / 3, min: 1, max: 4 });
    expect(paid).toMatchObject({ type: "boolean", missing: 1 });
    expect(paid!.trueRate).toBeCloseTo(2 / 3, 5);
  });
});
