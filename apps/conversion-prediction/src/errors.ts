/**
 * Stable codes of this plugin's failures. The stage runner turns a thrown error into the results.json
 * status: `title` (or the code) as the title, `message` + `hint` as the explanation.
 */
export type ConversionPredictionErrorCode =
  | "OPTIONS_INVALID"
  | "INPUT_PARAM_INVALID"
  | "DATASET_MISSING"
  | "TRAIN_SHAPE"
  | "TRAIN_NO_ROWS"
  | "TRAIN_ONE_CLASS"
  | "NO_FEATURES"
  | "MODEL_MISSING"
  | "MODEL_DOWNLOAD_FAILED"
  | "MODEL_INVALID"
  | "MODEL_INPUT_UNSUPPORTED"
  | "MODEL_FEATURE_COUNT"
  | "MODEL_OUTPUT_UNSUPPORTED"
  | "MODEL_OUTPUT_INVALID"
  | "MODEL_RUN_FAILED"
  | "UPLOAD_URL_MISSING";

export interface ConversionPredictionErrorOptions {
  hint: string;
  title?: string;
  cause?: unknown;
}

export class ConversionPredictionError extends Error {
  override readonly name = "ConversionPredictionError";
  readonly code: ConversionPredictionErrorCode;
  readonly hint: string;
  readonly title: string;

  constructor(code: ConversionPredictionErrorCode, message: string, options: ConversionPredictionErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.title = options.title ?? defaultTitles[code];
  }
}

const defaultTitles: Record<ConversionPredictionErrorCode, string> = {
  OPTIONS_INVALID: "Invalid batch options",
  INPUT_PARAM_INVALID: "Invalid plugin parameter",
  DATASET_MISSING: "Dataset missing from the manifest",
  TRAIN_SHAPE: "Training data is inconsistent",
  TRAIN_NO_ROWS: "No training data",
  TRAIN_ONE_CLASS: "Training data has a single outcome",
  NO_FEATURES: "No usable features",
  MODEL_MISSING: "Model not found",
  MODEL_DOWNLOAD_FAILED: "Model download failed",
  MODEL_INVALID: "Model is not a valid ONNX file",
  MODEL_INPUT_UNSUPPORTED: "Model input not supported",
  MODEL_FEATURE_COUNT: "Model expects a different number of features",
  MODEL_OUTPUT_UNSUPPORTED: "Model outputs not supported",
  MODEL_OUTPUT_INVALID: "Model produced invalid scores",
  MODEL_RUN_FAILED: "Model failed to score users",
  UPLOAD_URL_MISSING: "Upload URL missing from the manifest",
};
