export type DataJsonWriteErrorCode =
  | "DATA_JSON_VALUE_NOT_FINITE"
  | "DATA_JSON_VALUE_COUNT"
  | "DATA_JSON_VALUE_INVALID"
  | "DATA_JSON_USER_ID_INVALID"
  | "DATA_JSON_PROPERTIES_INVALID"
  | "DATA_JSON_CLOSED"
  | "DATA_JSON_IO";

const TITLES: Record<DataJsonWriteErrorCode, string> = {
  DATA_JSON_VALUE_NOT_FINITE: "A prediction is not a finite number",
  DATA_JSON_VALUE_COUNT: "An update has the wrong number of values",
  DATA_JSON_VALUE_INVALID: "An update value is not a string, number, boolean or null",
  DATA_JSON_USER_ID_INVALID: "An update has an invalid user id",
  DATA_JSON_PROPERTIES_INVALID: "data.json needs at least one property name",
  DATA_JSON_CLOSED: "data.json was already closed",
  DATA_JSON_IO: "Could not write data.json",
};

/** The one base error of the data.json writer: a stable `code`, the user id or file involved, and a `hint`. */
export class DataJsonWriteError extends Error {
  override readonly name = "DataJsonWriteError";
  readonly code: DataJsonWriteErrorCode;
  readonly title: string;
  readonly hint: string;
  readonly userId: string | number | undefined;
  readonly path: string | undefined;

  constructor(code: DataJsonWriteErrorCode, message: string, hint: string, place: { userId?: string | number; path?: string } = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.title = TITLES[code];
    this.hint = hint;
    this.userId = place.userId;
    this.path = place.path;
  }
}

/** A user id as it appears in a message: JSON-quoted, cut to 100 characters. */
export function showId(id: unknown): string {
  const text = typeof id === "string" ? JSON.stringify(id) : String(id);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
