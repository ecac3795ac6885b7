import type { StageContext, StageOutput } from "@batchkit/plugin";
import { chooseFeatures, defaultSelectionRules } from "../feature-selection.js";
import { profileDatasets } from "../training.js";
import { profileView } from "../views.js";
import { datasetRef, readContextOf, type StageSettings } from "./stage-settings.js";

/** The training stage the initial stage asks for, and the dataset it trains on ([choice], platform.md). */
export const trainStageRequest = {
  trainMore: { datasets: { train_0: { moment: { type: "since" as const, seconds: 0 } } } },
};

/**
 * initial: profiles the initial dataset (users, conversion rate, per feature type, missing rate,
 * quantiles or top categories), shows which features would be trained on and why, and asks for the
 * trainMore stage with its training dataset.
 */
export async function initialStage(ctx: StageContext, settings: StageSettings = {}): Promise<StageOutput> {
  const ref = datasetRef(ctx.manifest, "initial", "the initial stage profiles it");
  const profile = await profileDatasets([ref], ctx.manifest.metadata.features ?? {}, readContextOf(ctx, settings, ref));
  const choices = chooseFeatures(profile, defaultSelectionRules);
  const features = profile.features.map((feature, k) => {
    const choice = choices[k]!;
    return {
      ...feature,
      // The profile keeps up to 50 categories for the selection; the view shows the top ten.
      ...(feature.topCategories === undefined ? {} : { topCategories: feature.topCategories.slice(0, 10) }),
      selected: choice.selected,
      ...(choice.reason === undefined ? {} : { reason: choice.reason }),
    };
  });
  const selectedFeatures = choices.filter((c) => c.selected).map((c) => c.column);
  ctx.log.info("profiled the initial dataset", {
    users: profile.users,
    conversionRate: profile.conversionRate,
    features: profile.features.length,
    selected: selectedFeatures.length,
  });
  return {
    data: {
      users: profile.users,
      conversions: profile.conversions,
      conversionRate: profile.conversionRate,
      unlabelled: profile.unlabelled,
      features,
      selectedFeatures,
      jsx: profileView,
    },
    stages: trainStageRequest,
  };
}
