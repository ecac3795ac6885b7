import { contract } from "@batchkit/manifest";
import { ConversionPredictionError } from "./errors.js";

/**
 * `batches.options`: what trainMore hands the batch stage (and what a user who brings their own
 * model.onnx sets by hand). Validated by hand, field by field, so each problem names its option.
 */
export interface BatchOptions {
  /** Path of the model under downloadUrls[modelStage]. */
  model: string;
  /** The stage whose downloadUrls hold the model. */
  modelStage: string;
  /** Dataset columns in model input order; a categorical column gives one input per category. */
  features: string[];
  /** The value a missing or invalid number is read as. */
  fill: number;
  /** Per column fills that override `fill` (trainMore: the training means). */
  fills: Record<string, number>;
  /** One-hot encoded columns and their categories, in model input order. */
  categories: Record<string, string[]>;
  /** The column of a [N, 2] probability output that is the converting class. */
  positiveClass: number;
  /** The dataUrls key to score; default latest, else initial. */
  dataset?: string;
  /** Rows per call to the model. */
  subBatchSize: number;
}

export const defaultModelPath = "model.onnx";
export const trainStage = "trainMore";

type Issue = string;

export function parseBatchOptions(raw: Record<string, unknown>): BatchOptions {
  const issues: Issue[] = [];
  const model = optionalString(raw, "model", issues) ?? defaultModelPath;
  const modelStage = optionalString(raw, "modelStage", issues) ?? trainStage;
  const dataset = optionalString(raw, "dataset", issues);
  const features = stringList(raw["features"], "options.features", issues, true);
  const fill = optionalNumber(raw, "fill", issues) ?? 0;
  const fills: Record<string, number> = {};
  const rawFills = raw["fills"];
  if (rawFills !== undefined) {
    if (!isRecord(rawFills)) issues.push(`options.fills must be an object of column -> number, got ${kindOf(rawFills)}`);
    else {
      for (const [column, value] of Object.entries(rawFills)) {
        if (typeof value !== "number" || !Number.isFinite(value)) issues.push(`options.fills.${column} must be a finite number, got ${kindOf(value)}`);
        else fills[column] = value;
      }
    }
  }
  const categories: Record<string, string[]> = {};
  const rawCategories = raw["categories"];
  if (rawCategories !== undefined) {
    if (!isRecord(rawCategories)) issues.push(`options.categories must be an object of column -> list of strings, got ${kindOf(rawCategories)}`);
    else {
      for (const [column, list] of Object.entries(rawCategories)) {
        const values = stringList(list, `options.categories.${column}`, issues, true);
        if (new Set(values).size !== values.length) issues.push(`options.categories.${column} repeats a category`);
        categories[column] = values;
        if (!features.includes(column)) issues.push(`options.categories.${column} names a column that is not in options.features`);
      }
    }
  }
  if (new Set(features).size !== features.length) issues.push("options.features repeats a column");
  const positiveClass = optionalNumber(raw, "positiveClass", issues) ?? 1;
  if (!Number.isInteger(positiveClass) || positiveClass < 0) issues.push(`options.positiveClass must be 0 or 1, got ${positiveClass}`);
  const subBatchSize = optionalNumber(raw, "subBatchSize", issues) ?? 8192;
  if (!Number.isInteger(subBatchSize) || subBatchSize < 1 || subBatchSize > 1_000_000) {
    issues.push(`options.subBatchSize must be an integer from 1 to 1000000, got ${subBatchSize}`);
  }
  if (issues.length > 0) {
    throw new ConversionPredictionError("OPTIONS_INVALID", `batches.options is invalid: ${issues.join("; ")}`, {
      hint: "Fix batches.options in the stage that returns batches (trainMore), or re-run trainMore to regenerate it.",
    });
  }
  return {
    model,
    modelStage,
    features,
    fill,
    fills,
    categories,
    positiveClass,
    subBatchSize,
    ...(dataset === undefined ? {} : { dataset }),
  };
}

/** The model input width the options describe: one per column, one per category of a categorical one. */
export function optionsInputWidth(options: BatchOptions): number {
  return options.features.reduce((width, column) => width + (options.categories[column]?.length ?? 1), 0);
}

/** Parameters a user may answer (inputParams); numbers always arrive as floats. */
export interface TrainParams {
  maxBatchSize: number;
  l2?: number;
  validationFraction?: number;
  maxTrainingRows?: number;
}

export function parseTrainParams(params: Record<string, unknown>): TrainParams {
  const issues: Issue[] = [];
  const read = (name: string, min: number, max: number, integer: boolean): number | undefined => {
    const value = params[name];
    if (value === undefined || value === null || value === "") return undefined;
    const number = typeof value === "string" ? Number(value) : value;
    if (typeof number !== "number" || !Number.isFinite(number) || number < min || number > max) {
      issues.push(`inputParams.${name} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
      return undefined;
    }
    return integer ? Math.round(number) : number;
  };
  const maxBatchSize = read("maxBatchSize", contract.minMaxBatchSize, contract.maxMaxBatchSize, true);
  const l2 = read("l2", 0, 1e9, false);
  const validationFraction = read("validationFraction", 0.01, 0.9, false);
  const maxTrainingRows = read("maxTrainingRows", 100, 10_000_000, true);
  if (issues.length > 0) {
    throw new ConversionPredictionError("INPUT_PARAM_INVALID", issues.join("; "), {
      hint: "Answer the plugin's questions with values in the ranges given, or leave them empty for the defaults.",
    });
  }
  return {
    maxBatchSize: maxBatchSize ?? contract.defaultMaxBatchSize,
    ...(l2 === undefined ? {} : { l2 }),
    ...(validationFraction === undefined ? {} : { validationFraction }),
    ...(maxTrainingRows === undefined ? {} : { maxTrainingRows }),
  };
}

function optionalString(raw: Record<string, unknown>, name: string, issues: Issue[]): string | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.length === 0) {
    issues.push(`options.${name} must be a non-empty string, got ${kindOf(value)}`);
    return undefined;
  }
  return value;
}

function optionalNumber(raw: Record<string, unknown>, name: string, issues: Issue[]): number | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    issues.push(`options.${name} must be a finite number, got ${kindOf(value)}`);
    return undefined;
  }
  return value;
}

function stringList(value: unknown, name: string, issues: Issue[], required: boolean): string[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || value.length === 0) {
    issues.push(`${name} must be a non-empty list of column names, got ${kindOf(value)}`);
    return [];
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    if (typeof item !== "string" || item.length === 0) issues.push(`${name}[${i}] must be a non-empty string, got ${kindOf(item)}`);
    else out.push(item);
  });
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}
