import type { z } from "zod";
import { redactText, redactUrl } from "./secrets.js";

/** One problem found in a document, with the JSON path where it was found. */
export interface ContractIssue {
  /** e.g. `batches.maxBatchSize`, `updates[3]`, or `(root)`. */
  path: string;
  message: string;
}

export type ContractErrorCode =
  | "MANIFEST_INVALID"
  | "RESULTS_INVALID"
  | "DATA_JSON_INVALID"
  | "DATASET_HEADER_INVALID";

const WHAT: Record<ContractErrorCode, { title: string; hint: string }> = {
  MANIFEST_INVALID: {
    title: "Invalid manifest",
    hint: "Fix the listed fields of the manifest (argv[1]); the platform or the emulator wrote it, so check the developer endpoint or emulator that produced it.",
  },
  RESULTS_INVALID: {
    title: "Invalid results",
    hint: "Fix what the stage returns: the listed fields of results.json do not follow the contract.",
  },
  DATA_JSON_INVALID: {
    title: "Invalid data.json",
    hint: "Fix the plugin's data.json writer: the listed fields break the data.json contract.",
  },
  DATASET_HEADER_INVALID: {
    title: "Invalid dataset header",
    hint: "The dataset's metadata.columns must be an array of distinct, non-empty column names.",
  },
};

/** A document broke the contract; `issues` lists every problem with its path. */
export class ContractError extends Error {
  override readonly name = "ContractError";
  readonly code: ContractErrorCode;
  readonly issues: readonly ContractIssue[];
  readonly title: string;
  readonly hint: string;

  constructor(code: ContractErrorCode, issues: readonly ContractIssue[], options?: { source?: string; cause?: unknown }) {
    const where = options?.source ? `${options.source}: ` : "";
    const list = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
    super(`${where}${list}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = issues;
    this.title = WHAT[code].title;
    this.hint = WHAT[code].hint;
  }
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ContractError };

export interface ParseOptions {
  /** Named in the message, e.g. the manifest's file path. */
  source?: string;
}

/** `a.b[2].c` for a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    // A value may be a signed URL, valid or not: never show a query string.
    return JSON.stringify(shown.includes("?") ? redactUrl(shown) : redactText(shown));
  }
  if (typeof value === "object") return "an object";
  return String(value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** A readable sentence for one zod issue (with `reportInput: true`, so `input` is known). */
function issueMessage(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) return "is required";
      if (issue.expected === "int") return `must be an integer, got ${describe(input)}`;
      return `must be ${article(issue.expected)}, got ${describe(input)}`;
    case "too_small": {
      const min = String(issue.minimum);
      if (issue.origin === "array") return `must have at least ${min} item${min === "1" ? "" : "s"}, got ${describe(input)}`;
      if (issue.origin === "string") return issue.minimum === 1 ? "must not be empty" : `must be at least ${min} characters long`;
      return `must be ${issue.inclusive ? "at least" : "greater than"} ${min}, got ${describe(input)}`;
    }
    case "too_big": {
      const max = String(issue.maximum);
      if (issue.origin === "array") return `must have at most ${max} items, got ${describe(input)}`;
      if (issue.origin === "string") return `must be at most ${max} characters long`;
      return `must be ${issue.inclusive ? "at most" : "less than"} ${max}, got ${describe(input)}`;
    }
    case "invalid_value":
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, got ${describe(input)}`;
    case "invalid_format":
      return issue.format === "url" ? `must be an http(s) URL, got ${describe(input)}` : `must be a valid ${issue.format}, got ${describe(input)}`;
    case "invalid_union":
      return `has an unexpected shape (${describe(input)})`;
    case "unrecognized_keys":
      return `has unknown keys ${issue.keys.join(", ")}`;
    default:
      return issue.message;
  }
}

export function toIssues(error: z.core.$ZodError): ContractIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issueMessage(issue) }));
}

/** Builds a `safeParse`-like function that returns `ParseResult` with readable, path-named issues. */
export function makeParser<S extends z.ZodType>(schema: S, code: ContractErrorCode) {
  return (input: unknown, options?: ParseOptions): ParseResult<z.output<S>> => {
    const result = schema.safeParse(input, { reportInput: true });
    if (result.success) return { ok: true, value: result.data };
    return { ok: false, error: new ContractError(code, toIssues(result.error), options?.source === undefined ? undefined : { source: options.source }) };
  };
}
