import { z } from "zod";
import { makeParser } from "./issues.js";

const httpUrl = z.url({ protocol: /^https?$/ });
const urlMap = z.record(z.string().min(1), httpUrl);

/** [doc] `moment` of a dataset: `{ type: "since", seconds }`. */
export const momentSchema = z.looseObject({
  type: z.string(),
  seconds: z.number(),
});

export const datasetMetadataSchema = z.looseObject({
  fullDatasetSize: z.number().nonnegative().optional(),
  moment: momentSchema.optional(),
});

export const featureMetadataSchema = z.looseObject({
  name: z.string().optional(),
  type: z.string().optional(),
  nativeType: z.string().optional(),
});

export const manifestMetadataSchema = z.looseObject({
  datasets: z.record(z.string(), datasetMetadataSchema).optional(),
  goal: z.looseObject({}).optional(),
  features: z.record(z.string(), featureMetadataSchema).optional(),
});

/**
 * The manifest of any stage (argv[1]). Unknown keys are kept: the platform may add fields at any time.
 * Absent maps default to `{}` so that a stage reads `manifest.downloadUrls.trainMore` without checks.
 */
export const manifestSchema = z.looseObject({
  stage: z.string().min(1),
  dataUrls: urlMap,
  downloadUrls: urlMap.default({}),
  getUploadUrls: urlMap.default({}),
  inputData: z.record(z.string(), z.unknown()).default({}),
  inputParams: z.record(z.string(), z.unknown()).default({}),
  options: z.record(z.string(), z.unknown()).default({}),
  metadata: manifestMetadataSchema.default({}),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ManifestInput = z.input<typeof manifestSchema>;
export type ManifestMetadata = z.output<typeof manifestMetadataSchema>;
export type FeatureMetadata = z.output<typeof featureMetadataSchema>;

export const parseManifest = makeParser(manifestSchema, "MANIFEST_INVALID");
