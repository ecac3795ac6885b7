/** Stable codes of every failure the emulator reports, so tests and callers can branch on them. */
export type EmulatorErrorCode =
  | "EMULATOR_OPTIONS_INVALID"
  | "EMULATOR_PLUGIN_FAILED"
  | "EMULATOR_PLUGIN_NO_RESULTS"
  | "EMULATOR_RESULTS_INVALID"
  | "EMULATOR_BATCH_FAILED"
  | "EMULATOR_DATA_JSON_MISSING"
  | "EMULATOR_DATA_JSON_INVALID"
  | "EMULATOR_USER_NOT_IN_SLICE"
  | "EMULATOR_USER_DUPLICATE"
  | "EMULATOR_USER_MISSING"
  | "EMULATOR_STAGE_REQUEST_INVALID";

/** The one base error of the emulator: a stable `code`, a `hint` sentence and the `cause` kept. */
export class EmulatorError extends Error {
  override readonly name = "EmulatorError";
  readonly code: EmulatorErrorCode;
  readonly hint: string;
  readonly title: string;

  constructor(
    code: EmulatorErrorCode,
    message: string,
    options: { hint: string; title?: string; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.title = options.title ?? code;
  }
}
