import { contract, redactText, type Status } from "@batchkit/manifest";

/**
 * An error a stage throws to choose what the user reads in results.json: a short `title` and an
 * `explanation` that says what to do.
 */
export class PluginError extends Error {
  override readonly name = "PluginError";
  readonly code: string;
  readonly title: string;
  readonly explanation: string;

  constructor(options: { code: string; title: string; explanation: string; message?: string; cause?: unknown }) {
    super(options.message ?? `${options.title}: ${options.explanation}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.title = options.title;
    this.explanation = options.explanation;
  }
}

const GENERIC_HINT =
  "This looks like a bug in the plugin: the stack below shows where it happened; report it with this results.json and the manifest.";

function stringProp(err: unknown, key: string): string | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const value = (err as Record<string, unknown>)[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
}

/** `DATASET_ROW_LENGTH` -> `Dataset row length`. */
export function titleFromCode(code: string): string {
  const words = code.toLowerCase().split(/[_\s-]+/).filter(Boolean);
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The stack of an error and of every error in its `cause` chain. */
export function backtraceOf(err: unknown): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== undefined && current !== null && !seen.has(current) && parts.length < 8) {
    seen.add(current);
    if (current instanceof Error) {
      parts.push(current.stack ?? `${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join("\nCaused by: ");
}

/**
 * Turns anything thrown into an error status. Errors of the workspace packages carry `code`, `message` (what
 * failed, where) and `hint` (what to do); a `PluginError` or any error with `title`/`explanation` chooses
 * its own words. Every field is redacted: a signed URL never reaches results.json with its query string.
 */
export function errorStatus(err: unknown): Status {
  const code = stringProp(err, "code");
  const message = err instanceof Error ? err.message : String(err);
  const title = stringProp(err, "title") ?? (code && /^[A-Z0-9_]+$/.test(code) ? titleFromCode(code) : undefined) ?? (err instanceof Error ? err.name : "Plugin failed");
  const explanation = stringProp(err, "explanation") ?? [message, stringProp(err, "hint") ?? GENERIC_HINT].filter(Boolean).join(". ").replace(/\.\. /g, ". ");
  return {
    code: contract.errorCode,
    title: redactText(title),
    explanation: redactText(explanation),
    backtrace: redactText(backtraceOf(err)),
  };
}

export const successStatus = (): Status => ({ code: contract.successCode, title: null, explanation: null, backtrace: null });
