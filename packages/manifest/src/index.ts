export { contract, type Contract } from "./contract.js";
export { redactText, redactUrl } from "./secrets.js";
export {
  ContractError,
  formatPath,
  type ContractErrorCode,
  type ContractIssue,
  type ParseOptions,
  type ParseResult,
} from "./issues.js";
export {
  datasetMetadataSchema,
  featureMetadataSchema,
  manifestMetadataSchema,
  manifestSchema,
  momentSchema,
  parseManifest,
  type FeatureMetadata,
  type Manifest,
  type ManifestInput,
  type ManifestMetadata,
} from "./manifest-schema.js";
export {
  batchesSchema,
  parseBatches,
  parseResults,
  parseStagesRequest,
  resultsSchema,
  stagesRequestSchema,
  statusSchema,
  type Batches,
  type BatchesInput,
  type Results,
  type StagesRequest,
  type Status,
} from "./results-schema.js";
export {
  dataJsonSchema,
  parseDataJson,
  propertyValueSchema,
  userIdSchema,
  type DataJson,
  type PropertyValue,
  type UserId,
} from "./data-json-schema.js";
export { datasetHeaderSchema, parseDatasetHeader, type DatasetHeader } from "./dataset-header-schema.js";
