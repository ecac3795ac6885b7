import { DatasetError } from "./dataset-error.js";

/** One dataset column as model input: numbers as they are, booleans (and "true"/"false") as 1/0. */
export interface NumericFeature {
  column: string;
  kind?: "number" | "boolean";
  /** Value for a missing or invalid cell; defaults to the reader's `fill` (0). */
  fill?: number;
}

/** A string column one-hot encoded: `categories.length` model inputs, all 0 for unknown or missing. */
export interface CategoricalFeature {
  column: string;
  kind: "categorical";
  categories: string[];
}

export type FeatureSpec = NumericFeature | CategoricalFeature;

/** Model input width: one per numeric feature plus each categorical's category count. */
export function featureWidth(features: readonly FeatureSpec[]): number {
  let width = 0;
  for (const f of features) width += f.kind === "categorical" ? f.categories.length : 1;
  return width;
}

/** One name per model input column, in order: the column name, or `column=category` for one-hot inputs. */
export function featureNames(features: readonly FeatureSpec[]): string[] {
  const names: string[] = [];
  for (const f of features) {
    if (f.kind === "categorical") for (const c of f.categories) names.push(`${f.column}=${c}`);
    else names.push(f.column);
  }
  return names;
}

/** Rejects specs the decoder cannot honour, before any byte is read. */
export function validateFeatures(features: readonly FeatureSpec[]): void {
  const seen = new Set<string>();
  const hint = "Fix the feature list passed to readDataset: each column once, categorical features with distinct categories.";
  for (const [i, f] of features.entries()) {
    if (typeof f.column !== "string" || f.column.length === 0) {
      throw new DatasetError("DATASET_FEATURES_INVALID", `features[${i}] has no column name`, hint);
    }
    if (seen.has(f.column)) {
      throw new DatasetError("DATASET_FEATURES_INVALID", `features[${i}] repeats the column ${JSON.stringify(f.column)}`, hint, { column: f.column });
    }
    seen.add(f.column);
    if (f.kind === "categorical") {
      if (!Array.isArray(f.categories) || f.categories.length === 0 || new Set(f.categories).size !== f.categories.length) {
        throw new DatasetError("DATASET_FEATURES_INVALID", `features[${i}] (${f.column}) needs a non-empty list of distinct categories`, hint, { column: f.column });
      }
    } else if (f.fill !== undefined && !Number.isFinite(f.fill)) {
      throw new DatasetError("DATASET_FEATURES_INVALID", `features[${i}] (${f.column}) has a fill that is not a finite number`, hint, { column: f.column });
    }
  }
}
