export { DatasetError, type DatasetErrorCode, type DatasetErrorPlace } from "./dataset-error.js";
export { featureNames, featureWidth, type CategoricalFeature, type FeatureSpec, type NumericFeature } from "./feature-spec.js";
export {
  defaultDecodeThreads,
  readDataset,
  type ColumnStats,
  type DatasetReader,
  type DatasetSource,
  type DatasetStats,
  type ReadDatasetOptions,
  type RowBatch,
} from "./read-dataset.js";
export type { DuplicateLookup } from "./duplicate-counter.js";
export { readDatasetInWorker, type WorkerDatasetOptions } from "./worker-reader.js";
