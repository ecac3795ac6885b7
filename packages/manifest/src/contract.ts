/**
 * Every constant of the Stormly plugin contract in one place.
 *
 * Values marked [doc] are stated by Stormly's documentation or the batch-updating seed; values marked
 * [choice] are this project's decision where no public source says (see shared/docs/platform.md), so that a
 * correction is a one-line change here.
 */
export const contract = {
  /** [doc] Stage names the platform itself uses. */
  initialStage: "initial",
  batchStage: "batch",
  /** [doc] The query parameters appended to every data URL in the batch stage. */
  rangeStartParam: "range_start_gt_or_eq",
  rangeEndParam: "range_end_lt",
  /** [choice] The batch ranges are over this column: start <= random < end. */
  rangeColumn: "random",
  /** [doc] batches.maxBatchSize bounds and default. */
  defaultMaxBatchSize: 10_000,
  minMaxBatchSize: 1_000,
  maxMaxBatchSize: 10_000_000,
  /** The reference plugin's output property. */
  predictionCategory: "Predictions",
  predictionProperty: "Rating",
  /** [doc] Columns every dataset has. */
  userIdColumn: "user_id",
  /** [doc] The string "true" or "false": converted or not. */
  labelColumn: "y_value",
  requiredColumns: [
    "user_id",
    "user_created",
    "data_now",
    "y_value",
    "y_timestamp",
    "random",
    "moment_key",
    "user_moment_base_timestamp",
    "moment_timestamp",
  ] as readonly string[],
  /** [doc] The file name of a batch stage's output, uploaded through getUploadUrls.batch. */
  dataJsonPath: "data.json",
  /** [choice] status.code of a failure. */
  errorCode: "error",
  successCode: "success",
} as const;

export type Contract = typeof contract;
