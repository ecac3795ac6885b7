import { redactText } from "@batchkit/manifest";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** Throttled progress of long work: `done` of `total` units (users, bytes, ...). */
  progress(done: number, total?: number, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** Prefix of every line, e.g. the plugin or stage name. */
  name: string;
  /** Where lines go; stderr by default, so stdout stays free for the platform. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Lowest level written; "info" by default, "debug" when BATCHKIT_DEBUG is set. */
  level?: "debug" | "info" | "warn" | "error";
  /** Minimum time between two progress lines. */
  progressIntervalMs?: number;
  /** The unit of progress, e.g. "users". */
  unit?: string;
  now?: () => number;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/**
 * An integer with thousands separators, as toLocaleString("en-US") writes it. By hand: the first
 * toLocaleString of a process loads ICU's number formatting, ~20 ms, on the stage's start-up path.
 */
export function groupDigits(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString("en-US");
  const digits = String(Math.abs(n));
  let out = "";
  for (let end = digits.length; end > 0; end -= 3) out = `${digits.slice(Math.max(0, end - 3), end)}${out === "" ? "" : ","}${out}`;
  return n < 0 ? `-${out}` : out;
}

function formatValue(value: unknown): string {
  if (typeof value === "number") return Number.isInteger(value) ? groupDigits(value) : String(Math.round(value * 1000) / 1000);
  if (typeof value === "string") return /\s/.test(value) ? JSON.stringify(value) : value;
  if (value instanceof Error) return JSON.stringify(value.message);
  return JSON.stringify(value) ?? String(value);
}

/** `k=v k2=v2` for log fields. */
export function formatFields(fields: LogFields | undefined): string {
  if (!fields) return "";
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${formatValue(v)}`);
  return parts.length ? ` ${parts.join(" ")}` : "";
}

function formatRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

/**
 * A small line logger to stderr. Every line passes through `redactText`, so a signed URL that slips into a
 * message or a field is printed without its query string.
 */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stderr;
  const threshold = LEVELS[options.level ?? (process.env["BATCHKIT_DEBUG"] ? "debug" : "info")];
  const interval = options.progressIntervalMs ?? 1000;
  const unit = options.unit ?? "users";
  const now = options.now ?? Date.now;
  const started = now();
  let lastProgress = -Infinity;

  const write = (level: keyof typeof LEVELS, message: string, fields?: LogFields): void => {
    if (LEVELS[level] < threshold) return;
    const tag = level === "info" ? "" : ` ${level.toUpperCase()}`;
    stream.write(redactText(`[${options.name}]${tag} ${message}${formatFields(fields)}`) + "\n");
  };

  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    progress(done, total, fields) {
      const t = now();
      const finished = total !== undefined && done >= total;
      if (!finished && t - lastProgress < interval) return;
      lastProgress = t;
      const seconds = Math.max((t - started) / 1000, 1e-3);
      const rate = done / seconds;
      let text = groupDigits(done);
      if (total !== undefined && total > 0) {
        const pct = Math.min(100, (100 * done) / total);
        const eta = rate > 0 && done < total ? ` eta ${Math.ceil((total - done) / rate)}s` : "";
        text += ` / ${groupDigits(total)} ${unit} (${pct.toFixed(1)}%)${eta}`;
      } else {
        text += ` ${unit}`;
      }
      write("info", `${text} ${formatRate(rate)} ${unit}/s`, fields);
    },
  };
}
