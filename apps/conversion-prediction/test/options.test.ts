import { describe, expect, it } from "vitest";
import { ConversionPredictionError } from "../src/errors.js";
import { optionsInputWidth, parseBatchOptions, parseTrainParams } from "../src/options.js";

function failure(fn: () => unknown): ConversionPredictionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConversionPredictionError);
    return error as ConversionPredictionError;
  }
  throw new Error("expected a failure");
}

describe("parseBatchOptions", () => {
  it("applies the defaults and counts one input per category", () => {
    const options = parseBatchOptions({ features: ["a", "b", "c"], categories: { b: ["x", "y", "z"] }, extra: 1 });
    expect(options).toMatchObject({ model: "model.onnx", modelStage: "trainMore", fill: 0, positiveClass: 1, subBatchSize: 8192, fills: {} });
    expect(options.dataset).toBeUndefined();
    expect(optionsInputWidth(options)).toBe(5);
  });

  it("names every invalid option", () => {
    const error = failure(() =>
      parseBatchOptions({ features: ["a", 3], fill: "0", fills: { a: "x" }, categories: { q: [] }, positiveClass: 1.5, model: "" }),
    );
    expect(error.code).toBe("OPTIONS_INVALID");
    for (const part of ["options.features[1]", "options.fill", "options.fills.a", "options.categories.q", "options.positiveClass", "options.model"]) {
      expect(error.message).toContain(part);
    }
  });

  it("requires features", () => {
    expect(failure(() => parseBatchOptions({})).message).toContain("options.features must be a non-empty list");
  });
});

describe("parseTrainParams", () => {
  it("defaults maxBatchSize to 10,000 and rounds the float the platform sends", () => {
    expect(parseTrainParams({}).maxBatchSize).toBe(10_000);
    expect(parseTrainParams({ maxBatchSize: 2500.0, l2: 0.5 })).toEqual({ maxBatchSize: 2500, l2: 0.5 });
  });

  it("refuses values outside the contract's range", () => {
    expect(failure(() => parseTrainParams({ maxBatchSize: 20_000_000 })).message).toContain("inputParams.maxBatchSize");
    expect(failure(() => parseTrainParams({ validationFraction: 0.99 })).code).toBe("INPUT_PARAM_INVALID");
  });
});
