import type { FeatureEncoding, FeaturePipeline } from "./model/feature-pipeline.js";
import type { DatasetProfile, FeatureProfile } from "./profile.js";

export interface SelectionRules {
  /** A feature missing in more than this share of users is dropped. */
  maxMissingRate: number;
  /** A category is one-hot encoded when at least this many users have it ... */
  minCategoryCount: number;
  /** ... and at least this share of the users with a value. */
  minCategoryShare: number;
  /** At most this many categories per feature (the most frequent). */
  maxCategories: number;
}

export const defaultSelectionRules: SelectionRules = {
  maxMissingRate: 0.95,
  minCategoryCount: 20,
  minCategoryShare: 0.01,
  maxCategories: 20,
};

export interface FeatureChoice {
  column: string;
  selected: boolean;
  /** Why a feature was left out (absent when selected). */
  reason?: string;
  encoding?: FeatureEncoding;
}

/**
 * Chooses the features to train on from a profile, with the encoding the reader and the model use.
 * A pure function of the profile, so the initial stage (which shows the choice) and trainMore (which
 * re-profiles its own training data) apply the same rules.
 */
export function chooseFeatures(profile: DatasetProfile, rules: SelectionRules = defaultSelectionRules): FeatureChoice[] {
  return profile.features.map((feature) => choose(feature, rules));
}

export function pipelineOf(choices: readonly FeatureChoice[]): FeaturePipeline {
  return { features: choices.flatMap((c) => (c.selected && c.encoding ? [c.encoding] : [])) };
}

function choose(feature: FeatureProfile, rules: SelectionRules): FeatureChoice {
  const column = feature.column;
  const drop = (reason: string): FeatureChoice => ({ column, selected: false, reason });
  if (feature.type === "empty") return drop("no values");
  if (feature.missingRate > rules.maxMissingRate) {
    return drop(`missing for ${percent(feature.missingRate)} of users (more than ${percent(rules.maxMissingRate)})`);
  }
  if (feature.type === "number") {
    const std = feature.std ?? 0;
    const mean = feature.mean ?? 0;
    if (!(std > 0) || !Number.isFinite(std)) return drop("the same value for every user");
    return { column, selected: true, encoding: { column, kind: "number", fill: mean, center: mean, scale: 1 / std } };
  }
  if (feature.type === "boolean") {
    const rate = feature.trueRate ?? 0;
    if (rate <= 0 || rate >= 1) return drop("the same value for every user");
    // Booleans stay 0/1; a missing one is read as the share of true (mean imputation).
    return { column, selected: true, encoding: { column, kind: "boolean", fill: rate, center: 0, scale: 1 } };
  }
  const counts = feature.topCategories ?? [];
  const present = counts.reduce((n, c) => n + c.count, 0);
  const frequent = counts
    .filter((c) => c.count >= rules.minCategoryCount && c.share >= rules.minCategoryShare)
    .slice(0, rules.maxCategories);
  if (frequent.length === 0) {
    return drop(`no category is held by ${rules.minCategoryCount}+ users and ${percent(rules.minCategoryShare)}+ of them`);
  }
  const covered = frequent.reduce((n, c) => n + c.count, 0);
  if (frequent.length === 1 && covered === present && feature.missing === 0) return drop("the same value for every user");
  return { column, selected: true, encoding: { column, kind: "categorical", categories: frequent.map((c) => c.value) } };
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
