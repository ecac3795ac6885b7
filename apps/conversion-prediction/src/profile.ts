import type { FeatureMetadata } from "@batchkit/manifest";
import { quantileOfSorted } from "./model/metrics.js";

/** What a feature column holds, judged from its values (the platform's declared type is only shown). */
export type FeatureType = "number" | "boolean" | "categorical" | "empty";

export interface CategoryCount {
  value: string;
  count: number;
  share: number;
}

export interface FeatureProfile {
  column: string;
  name: string | null;
  declaredType: string | null;
  type: FeatureType;
  /** Cells that are null, absent, or of a type the reader cannot use for this feature. */
  missing: number;
  missingRate: number;
  mean?: number;
  std?: number;
  min?: number;
  max?: number;
  /** p05, p25, p50, p75, p95 of the numbers (from a bounded sample past 10,000 values). */
  quantiles?: { p05: number; p25: number; p50: number; p75: number; p95: number };
  trueRate?: number;
  /** The most frequent categories (at most 50), each with its share of the non-missing cells. */
  topCategories?: CategoryCount[];
  distinctCategories?: number;
}

export interface DatasetProfile {
  users: number;
  /** Users whose y_value is "true". */
  conversions: number;
  conversionRate: number;
  /** Users whose y_value is neither "true" nor "false". */
  unlabelled: number;
  features: FeatureProfile[];
}

/** Reads y_value: the string "true"/"false" by contract; booleans and 1/0 are accepted too. */
export function parseLabel(value: unknown): 0 | 1 | undefined {
  if (value === "true" || value === true || value === 1) return 1;
  if (value === "false" || value === false || value === 0) return 0;
  return undefined;
}

/**
 * The fill that marks a missing cell of a column profiled through the reader's float path: -FLT_MAX,
 * finite (as the reader requires) and exact in float32, and no real feature value.
 */
export const missingMarker = -3.4028234663852886e38;

const numericTypes = new Set(["number", "numeric", "integer", "int", "float", "double", "decimal", "boolean", "bool"]);
const booleanTypes = new Set(["boolean", "bool"]);

/**
 * Whether the platform declares the feature a number or boolean, so that it can be profiled through the
 * reader's fast float path (as the batch stage will read it) instead of as raw JSON values.
 */
export function declaredKind(meta: FeatureMetadata | undefined): "number" | "boolean" | undefined {
  const type = (meta?.type ?? "").toLowerCase();
  const native = (meta?.nativeType ?? "").toLowerCase();
  const named = type !== "" ? type : native;
  if (!numericTypes.has(named)) return undefined;
  return booleanTypes.has(named) ? "boolean" : "number";
}

const sampleSize = 10_000;
const maxTrackedCategories = 10_000;

/** Streaming per-column statistics in bounded memory. */
class FeatureAccumulator {
  cells = 0;
  missing = 0;
  numbers = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  trues = 0;
  falses = 0;
  strings = 0;
  readonly categories = new Map<string, number>();
  /** Strings not tracked once maxTrackedCategories distinct values were seen. */
  untracked = 0;
  readonly sample: number[] = [];
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  add(value: unknown): void {
    this.cells++;
    if (value === null || value === undefined) {
      this.missing++;
    } else if (typeof value === "number") {
      if (!Number.isFinite(value)) {
        this.missing++;
        return;
      }
      this.addNumber(value);
    } else if (typeof value === "boolean" || value === "true" || value === "false") {
      if (value === true || value === "true") this.trues++;
      else this.falses++;
    } else if (typeof value === "string") {
      this.strings++;
      const count = this.categories.get(value);
      if (count !== undefined) this.categories.set(value, count + 1);
      else if (this.categories.size < maxTrackedCategories) this.categories.set(value, 1);
      else this.untracked++;
    } else {
      this.missing++;
    }
  }

  /**
   * A value of a column read through the reader's float path: `missingMarker` for a missing or invalid
   * cell, booleans as 1/0 (counted as booleans when the column is declared boolean).
   */
  addFloat(value: number, declaredBoolean: boolean): void {
    this.cells++;
    if (value === missingMarker) {
      this.missing++;
    } else if (declaredBoolean && (value === 0 || value === 1)) {
      if (value === 1) this.trues++;
      else this.falses++;
    } else {
      this.addNumber(value);
    }
  }

  private addNumber(value: number): void {
    this.numbers++;
    // Welford's update keeps the variance exact without holding the values.
    const delta = value - this.mean;
    this.mean += delta / this.numbers;
    this.m2 += delta * (value - this.mean);
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.addToSample(value);
  }

  private addToSample(value: number): void {
    if (this.sample.length < sampleSize) {
      this.sample.push(value);
      return;
    }
    // Reservoir sampling with a per-column xorshift, so profiles are reproducible.
    this.state ^= this.state << 13;
    this.state ^= this.state >>> 17;
    this.state ^= this.state << 5;
    const slot = (this.state >>> 0) % this.numbers;
    if (slot < sampleSize) this.sample[slot] = value;
  }

  type(): FeatureType {
    const booleans = this.trues + this.falses;
    if (this.numbers === 0 && booleans === 0 && this.strings === 0) return "empty";
    if (booleans >= this.numbers && booleans >= this.strings) return "boolean";
    if (this.numbers >= this.strings) return "number";
    return "categorical";
  }
}

export class DatasetProfiler {
  private readonly accumulators: FeatureAccumulator[];
  private users = 0;
  private conversions = 0;
  private unlabelled = 0;

  constructor(
    readonly columns: readonly string[],
    private readonly metadata: Readonly<Record<string, FeatureMetadata>> = {},
  ) {
    this.accumulators = columns.map((_, k) => new FeatureAccumulator(0x9e3779b9 ^ (k * 2654435761)));
  }

  /** Adds one batch of raw values: labels[i] is row i's y_value, values[k][i] its value of columns[k]. */
  addBatch(rows: number, labels: readonly unknown[], values: readonly (readonly unknown[])[]): void {
    this.addLabels(rows, labels);
    values.forEach((column, k) => this.addValues(k, rows, column));
  }

  /** Counts a batch's users and conversions. */
  addLabels(rows: number, labels: readonly unknown[]): void {
    this.users += rows;
    for (let i = 0; i < rows; i++) {
      const label = parseLabel(labels[i]);
      if (label === undefined) this.unlabelled++;
      else this.conversions += label;
    }
  }

  /** Raw JSON values of columns[k] for a batch's rows. */
  addValues(k: number, rows: number, values: readonly unknown[]): void {
    const accumulator = this.accumulators[k]!;
    for (let i = 0; i < rows; i++) accumulator.add(values[i]);
  }

  /** Float values of columns[k] at `slot` of each `width`-wide row of `features` (missingMarker = missing). */
  addFloats(k: number, rows: number, features: Float32Array, width: number, slot: number): void {
    const accumulator = this.accumulators[k]!;
    const declaredBoolean = declaredKind(this.metadata[this.columns[k]!]) === "boolean";
    for (let i = 0; i < rows; i++) accumulator.addFloat(features[i * width + slot]!, declaredBoolean);
  }

  finish(): DatasetProfile {
    const labelled = this.users - this.unlabelled;
    return {
      users: this.users,
      conversions: this.conversions,
      conversionRate: labelled > 0 ? round(this.conversions / labelled) : 0,
      unlabelled: this.unlabelled,
      features: this.accumulators.map((a, k) => this.featureProfile(this.columns[k]!, a)),
    };
  }

  private featureProfile(column: string, a: FeatureAccumulator): FeatureProfile {
    const type = a.type();
    const meta = this.metadata[column];
    // Cells the reader cannot use as this type count as missing: it fills them the same way.
    let usable = 0;
    if (type === "number") usable = a.numbers + a.trues + a.falses;
    else if (type === "boolean") usable = a.numbers + a.trues + a.falses;
    else if (type === "categorical") usable = a.strings + a.trues + a.falses;
    const missing = a.cells - usable;
    const profile: FeatureProfile = {
      column,
      name: meta?.name ?? null,
      declaredType: meta?.type ?? meta?.nativeType ?? null,
      type,
      missing,
      missingRate: a.cells > 0 ? round(missing / a.cells) : 0,
    };
    if (type === "number" && a.numbers > 0) {
      const sorted = Float64Array.from(a.sample).sort();
      profile.mean = a.mean;
      profile.std = a.numbers > 1 ? Math.sqrt(a.m2 / (a.numbers - 1)) : 0;
      // Shown values get 7 significant digits: float32 inputs would otherwise print as 0.002199999988.
      profile.min = significant(a.min);
      profile.max = significant(a.max);
      profile.quantiles = {
        p05: significant(quantileOfSorted(sorted, 0.05)),
        p25: significant(quantileOfSorted(sorted, 0.25)),
        p50: significant(quantileOfSorted(sorted, 0.5)),
        p75: significant(quantileOfSorted(sorted, 0.75)),
        p95: significant(quantileOfSorted(sorted, 0.95)),
      };
    }
    if (type === "boolean") {
      const booleans = a.trues + a.falses;
      profile.trueRate = booleans > 0 ? round(a.trues / booleans) : 0;
    }
    if (type === "categorical") {
      const counts = [...a.categories.entries()];
      // "true"/"false" in a string column are categories like any other.
      if (a.trues > 0) counts.push(["true", a.trues]);
      if (a.falses > 0) counts.push(["false", a.falses]);
      counts.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
      const present = a.strings + a.trues + a.falses;
      profile.distinctCategories = counts.length + (a.untracked > 0 ? 1 : 0);
      profile.topCategories = counts.slice(0, 50).map(([value, count]) => ({
        value,
        count,
        share: round(count / Math.max(present, 1)),
      }));
    }
    return profile;
  }
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function significant(value: number): number {
  return Number(value.toPrecision(7));
}
