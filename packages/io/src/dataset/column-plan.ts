import { DatasetError } from "./dataset-error.js";
import type { FeatureSpec } from "./feature-spec.js";
import { featureWidth } from "./feature-spec.js";

// What the decoder does with one dataset column; a column may be the user id, a feature and an extra at once.
export const USE_ID = 1;
export const USE_NUMBER = 2;
export const USE_CATEGORY = 4;
export const USE_EXTRA = 8;

/** The feature spec resolved against the dataset's columns: per column index, what to do with its value. */
export interface ColumnPlan {
  readonly columns: readonly string[];
  readonly byName: ReadonlyMap<string, number>;
  readonly uses: Uint8Array;
  /** First model-input slot of a numeric or categorical feature column. */
  readonly slot: Int32Array;
  readonly fill: Float64Array;
  readonly categories: (ReadonlyMap<string, number> | undefined)[];
  readonly categoryCount: Int32Array;
  /** Index into extraColumns, or -1. */
  readonly extra: Int32Array;
  /** Column indexes with any use, for object rows (absent keys). */
  readonly used: Int32Array;
  readonly idColumn: number;
  readonly width: number;
  readonly extraColumns: readonly string[];
  /** Column indexes of the features, in spec order (for stats). */
  readonly featureColumns: Int32Array;
}

export interface PlanInput {
  features: readonly FeatureSpec[];
  extraColumns: readonly string[];
  idColumn: string;
  fill: number;
  url?: string | undefined;
}

export function planColumns(columns: readonly string[], input: PlanInput): ColumnPlan {
  const byName = new Map<string, number>();
  columns.forEach((name, i) => byName.set(name, i));
  const n = columns.length;
  const uses = new Uint8Array(n);
  const slot = new Int32Array(n).fill(-1);
  const fill = new Float64Array(n);
  const categories: (Map<string, number> | undefined)[] = new Array<Map<string, number> | undefined>(n).fill(undefined);
  const categoryCount = new Int32Array(n);
  const extra = new Int32Array(n).fill(-1);
  const featureColumns = new Int32Array(input.features.length);

  const indexOf = (name: string, role: string): number => {
    const i = byName.get(name);
    if (i === undefined) {
      const shown = columns.length > 40 ? `${columns.slice(0, 40).join(", ")}, … (${columns.length} in all)` : columns.join(", ");
      throw new DatasetError(
        "DATASET_COLUMN_MISSING",
        `The dataset has no column ${JSON.stringify(name)} (${role}); its columns are: ${shown}`,
        "Ask for this feature in the initial stage's datasets, or drop it from the model's feature list.",
        { column: name, ...(input.url === undefined ? {} : { url: input.url }) },
      );
    }
    return i;
  };

  const idColumn = indexOf(input.idColumn, "the user id column");
  uses[idColumn]! |= USE_ID;
  let next = 0;
  input.features.forEach((f, k) => {
    const i = indexOf(f.column, `feature ${k}`);
    featureColumns[k] = i;
    slot[i] = next;
    if (f.kind === "categorical") {
      uses[i]! |= USE_CATEGORY;
      categories[i] = new Map(f.categories.map((c, j) => [c, j]));
      categoryCount[i] = f.categories.length;
      next += f.categories.length;
    } else {
      uses[i]! |= USE_NUMBER;
      fill[i] = f.fill ?? input.fill;
      next += 1;
    }
  });
  input.extraColumns.forEach((name, k) => {
    const i = indexOf(name, "an extra column");
    uses[i]! |= USE_EXTRA;
    extra[i] = k;
  });
  const used: number[] = [];
  for (let i = 0; i < n; i++) if (uses[i] !== 0) used.push(i);
  return {
    columns,
    byName,
    uses,
    slot,
    fill,
    categories,
    categoryCount,
    extra,
    used: Int32Array.from(used),
    idColumn,
    width: featureWidth(input.features),
    extraColumns: input.extraColumns,
    featureColumns,
  };
}
