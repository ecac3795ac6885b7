export { Emulator, type EmulatorKeys, type EmulatorOptions } from "./emulator.js";
export { runLifecycle, type LifecycleOptions, type LifecycleResult, type StageReport } from "./run-loop.js";
export { runBatchStage, splitRanges, type BatchReport, type BatchStageOptions, type BatchStageResult } from "./batch-stage.js";
export { DemoProject, MAX_USERS, type DatasetMoment } from "./demo-project.js";
export { COLUMNS, FEATURES, FEATURE_IDS, featureId, featureMetadata, GOAL, REQUIRED_COLUMNS } from "./demo-schema.js";
export { INITIAL_KINDS, type DatasetRef, type Moment } from "./datasets.js";
export { FaultInjector, type FaultCounts, type FaultOptions } from "./faults.js";
export { UrlSigner, s3ErrorXml, type SignatureCheck } from "./signing.js";
export { PropertyStore } from "./store.js";
export { readDataJson, DataJsonSyntaxError } from "./data-json-reader.js";
export { applyDataJson, type BatchSlice } from "./apply-data-json.js";
export { auc, distribution, formatSummary, type RunSummary, type ScoreDistribution, type StageTiming } from "./summary.js";
export { runPluginProcess, type PluginCommand, type PluginRun } from "./plugin-process.js";
export { defaultPluginCommand } from "./default-plugin.js";
export { ProgressBar, type ProgressState } from "./progress.js";
export { EmulatorError, type EmulatorErrorCode } from "./errors.js";

import { Emulator, type EmulatorOptions } from "./emulator.js";

/** Starts an emulator on 127.0.0.1: `{ url, keys, stop(), ... }`. */
export function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return Emulator.start(options);
}
