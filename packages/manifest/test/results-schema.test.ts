import { describe, expect, test } from "vitest";
import { parseBatches, parseResults } from "../src/index.js";
import { fixture } from "./helpers/fixtures.js";

function batchesMessage(input: unknown): string {
  const result = parseBatches(input);
  if (result.ok) throw new Error("expected batches to be refused");
  return result.error.message;
}

describe("parseResults", () => {
  test("the seed's trainMore results with batches parse", () => {
    const result = parseResults(fixture("seed-train-more-results.json"));
    expect(result.ok && result.value.batches).toEqual({ maxBatchSize: 5000, options: { arg1: 1, arg2: "abc" } });
  });

  test("a batch stage's status-only results parse", () => {
    const result = parseResults(fixture("seed-batch-results.json"));
    expect(result.ok && result.value.status).toEqual({ code: "success", title: null, explanation: null, backtrace: null });
  });

  test("an error status with title, explanation and backtrace", () => {
    const status = { code: "error", title: "Model missing", explanation: "Run trainMore first.", backtrace: "Error: x\n    at y" };
    const result = parseResults({ status });
    expect(result.ok && result.value.status).toEqual(status);
  });

  test("a status code outside the contract is refused", () => {
    const result = parseResults({ status: { code: "ok" } });
    expect(!result.ok && result.error.message).toBe('status.code: must be "success" or "error", got "ok"');
  });

  test("the emulator's stages request", () => {
    const stages = { trainMore: { datasets: { train_0: { moment: { type: "since", seconds: 0 } } } } };
    const result = parseResults({ status: { code: "success" }, stages });
    expect(result.ok && result.value.stages).toEqual(stages);
    const bad = parseResults({ status: { code: "success" }, stages: { trainMore: { datasets: { train_0: { moment: { type: "since" } } } } } });
    expect(!bad.ok && bad.error.message).toBe("stages.trainMore.datasets.train_0.moment.seconds: is required");
  });
});

describe("batches.maxBatchSize", () => {
  test("defaults to 10,000", () => {
    const result = parseBatches({});
    expect(result.ok && result.value.maxBatchSize).toBe(10_000);
  });

  test.each([1_000, 10_000_000, 5_000])("accepts %d", (maxBatchSize) => {
    const result = parseBatches({ maxBatchSize });
    expect(result.ok && result.value.maxBatchSize).toBe(maxBatchSize);
  });

  test("refuses 999 and 10,000,001 with the bound and the value", () => {
    expect(batchesMessage({ maxBatchSize: 999 })).toBe("maxBatchSize: must be at least 1000, got 999");
    expect(batchesMessage({ maxBatchSize: 10_000_001 })).toBe("maxBatchSize: must be at most 10000000, got 10000001");
  });

  test("refuses non-integers and non-numbers", () => {
    expect(batchesMessage({ maxBatchSize: 1500.5 })).toBe("maxBatchSize: must be an integer, got 1500.5");
    expect(batchesMessage({ maxBatchSize: "5000" })).toBe('maxBatchSize: must be a number, got "5000"');
    expect(batchesMessage({ maxBatchSize: Number.NaN })).toMatch(/^maxBatchSize: must be/);
  });

  test("inside results the path is batches.maxBatchSize", () => {
    const result = parseResults({ status: { code: "success" }, batches: { maxBatchSize: 999 } });
    expect(!result.ok && result.error.message).toBe("batches.maxBatchSize: must be at least 1000, got 999");
  });

  test("options must be an object", () => {
    expect(batchesMessage({ options: [1] })).toBe("options: must be a record, got an array of 1");
  });
});
