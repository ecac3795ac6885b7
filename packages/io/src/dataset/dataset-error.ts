export type DatasetErrorCode =
  | "DATASET_JSON_MALFORMED"
  | "DATASET_SHAPE_INVALID"
  | "DATASET_ROW_LENGTH"
  | "DATASET_ROW_INVALID"
  | "DATASET_NO_COLUMNS"
  | "DATASET_COLUMNS_INVALID"
  | "DATASET_COLUMN_MISSING"
  | "DATASET_USER_ID_INVALID"
  | "DATASET_TRUNCATED"
  | "DATASET_FEATURES_INVALID"
  | "DATASET_ABORTED"
  | "DATASET_SPOOL_FAILED"
  | "DATASET_FILE_UNREADABLE"
  | "DATASET_DECODE_FAILED";

const TITLES: Record<DatasetErrorCode, string> = {
  DATASET_JSON_MALFORMED: "The dataset is not valid JSON",
  DATASET_SHAPE_INVALID: "The dataset does not have the expected shape",
  DATASET_ROW_LENGTH: "A dataset row has the wrong number of values",
  DATASET_ROW_INVALID: "A dataset row is neither an array nor an object",
  DATASET_NO_COLUMNS: "The dataset has no metadata.columns",
  DATASET_COLUMNS_INVALID: "The dataset's metadata.columns is invalid",
  DATASET_COLUMN_MISSING: "The dataset lacks a column the plugin needs",
  DATASET_USER_ID_INVALID: "A dataset row has no usable user_id",
  DATASET_TRUNCATED: "The dataset ended early",
  DATASET_FEATURES_INVALID: "The feature spec is invalid",
  DATASET_ABORTED: "Reading the dataset was aborted",
  DATASET_SPOOL_FAILED: "Could not spool the dataset to a temporary file",
  DATASET_FILE_UNREADABLE: "The dataset file cannot be read",
  DATASET_DECODE_FAILED: "A dataset decode thread failed",
};

export interface DatasetErrorPlace {
  /** Absolute offset in the decoded body (after gzip/br), 0-based. */
  byteOffset?: number;
  /** 0-based row index within `data`. */
  row?: number;
  column?: string;
  /** Redacted source URL (no query string), when the source is a URL. */
  url?: string;
}

/** The one base error of the dataset reader: a stable `code`, the place it happened and a one-line `hint`. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
  readonly code: DatasetErrorCode;
  readonly title: string;
  readonly hint: string;
  readonly byteOffset: number | undefined;
  readonly row: number | undefined;
  readonly column: string | undefined;
  readonly url: string | undefined;

  constructor(code: DatasetErrorCode, message: string, hint: string, place: DatasetErrorPlace = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.title = TITLES[code];
    this.hint = hint;
    this.byteOffset = place.byteOffset;
    this.row = place.row;
    this.column = place.column;
    this.url = place.url;
  }
}

/**
 * Thrown by the byte scanners, which only know a position inside the current window; the document parser
 * turns it into a DatasetError with the absolute byte offset and the row.
 */
export class ScanFault extends Error {
  constructor(
    readonly pos: number,
    readonly expected: string,
  ) {
    super(expected);
  }
}
