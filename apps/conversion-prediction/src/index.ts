export { createConversionPlugin, plugin, type ConversionPluginOptions } from "./plugin.js";
export { initialStage, trainStageRequest } from "./stages/initial.js";
export { batchOptionsOf, trainMoreStage } from "./stages/train-more.js";
export { batchStage, featureSpec } from "./stages/batch.js";
export type { StageSettings } from "./stages/stage-settings.js";
export { ConversionPredictionError, type ConversionPredictionErrorCode } from "./errors.js";
export {
  defaultModelPath,
  optionsInputWidth,
  parseBatchOptions,
  parseTrainParams,
  trainStage,
  type BatchOptions,
  type TrainParams,
} from "./options.js";
export { DatasetProfiler, declaredKind, missingMarker, parseLabel, type CategoryCount, type DatasetProfile, type FeatureProfile, type FeatureType } from "./profile.js";
export {
  chooseFeatures,
  defaultSelectionRules,
  pipelineOf,
  type FeatureChoice,
  type SelectionRules,
} from "./feature-selection.js";
export {
  defaultTrainingSettings,
  onnxParityTolerance,
  profileDatasets,
  trainConversionModel,
  type ModelMetrics,
  type TrainedModel,
  type TrainingSettings,
} from "./training.js";
export { featureColumnsOf, readColumns, readerFeatures, type DatasetRef, type ReadContext } from "./dataset-access.js";
export {
  encodeDesign,
  inputNames,
  inputWidth,
  standardisation,
  type CategoricalEncoding,
  type FeatureEncoding,
  type FeaturePipeline,
  type NumericEncoding,
} from "./model/feature-pipeline.js";
export {
  fitLogisticRegression,
  predictLogistic,
  sigmoid,
  type DesignMatrix,
  type LogisticFitOptions,
  type LogisticModel,
} from "./model/logistic-regression.js";
export { constantLogLoss, decileTable, logLoss, quantiles, rocAuc, type DecileRow } from "./model/metrics.js";
export { exportedInputName, exportedOutputName, exportLogisticModel, floatTensor, floatValueInfo } from "./model/onnx-export.js";
export {
  decodeOnnxModel,
  encodeOnnxModel,
  OnnxAttributeType,
  OnnxDataType,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxTypeProto,
  type OnnxValueInfo,
} from "./model/onnx-proto.js";
export {
  describeAcceptedLayouts,
  loadScoringModel,
  type LoadModelOptions,
  type ModelLayout,
  type ScoringModel,
} from "./model/model-loader.js";
export { removeZipMap, type ZipMapRewrite } from "./model/zipmap-rewrite.js";
export { RowSample } from "./model/row-sample.js";
export { ScoreSummary } from "./score-summary.js";
export { profileView, trainingView } from "./views.js";
