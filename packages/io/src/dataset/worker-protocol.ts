/**
 * The messages between readDatasetInWorker (main thread) and dataset-worker.ts, and how errors and stats
 * cross the thread boundary: structured clone keeps plain data but drops classes, so errors travel as
 * plain records and are rebuilt as DatasetError / HttpError with the same code, message, hint and place.
 */
import { HttpError, type HttpErrorCode, type HttpErrorDetails, type RetryInfo } from "../http/index.js";
import { DatasetError, type DatasetErrorCode, type DatasetErrorPlace } from "./dataset-error.js";
import { DuplicateFingerprints } from "./duplicate-counter.js";
import type { ReadDatasetOptions, DatasetStats } from "./read-dataset.js";

/** ReadDatasetOptions without what cannot cross threads (signal, functions, a dispatcher). */
export type WorkerReadOptions = Omit<ReadDatasetOptions, "signal" | "http"> & {
  http?: Omit<NonNullable<ReadDatasetOptions["http"]>, "signal" | "dispatcher" | "onRetry" | "sleep" | "onResponse">;
};

export interface WorkerInit {
  /** An http(s) URL, or a file: URL the worker streams from disk. */
  source: string;
  options: WorkerReadOptions;
  /** Feature buffers the worker may have in flight at once. */
  poolSize: number;
  /** Whether to post retry notices for the caller's http.onRetry. */
  forwardRetry: boolean;
}

export type EncodedDuplicates = { fingerprints: (Set<number> | undefined)[] } | { ids: Set<string | number> };

export type EncodedStats = Omit<DatasetStats, "duplicates"> & { duplicates: EncodedDuplicates };

export interface EncodedError {
  kind: "dataset" | "http" | "other";
  name: string;
  message: string;
  stack?: string;
  code?: string;
  hint?: string;
  place?: DatasetErrorPlace;
  http?: Omit<HttpErrorDetails, "cause">;
  cause?: EncodedError;
}

export type FromWorker =
  | { type: "columns"; columns: string[] }
  | {
      type: "batch";
      rows: number;
      firstRow: number;
      width: number;
      userIds: (string | number)[];
      extras: Record<string, unknown[]>;
      /** A pool buffer (transferred); the first rows * width floats are this batch's. */
      features: ArrayBuffer;
      /** Body bytes read so far, for an abort message. */
      bytes: number;
    }
  | { type: "retry"; info: RetryInfo }
  | { type: "end"; stats: EncodedStats }
  | { type: "error"; error: EncodedError; stats: EncodedStats };

/** Main thread to worker: a feature buffer handed back for reuse. */
export interface ToWorker {
  type: "buffer";
  buffer: ArrayBuffer;
}

export function encodeStats(stats: DatasetStats): EncodedStats {
  const d = stats.duplicates;
  const duplicates: EncodedDuplicates = d instanceof DuplicateFingerprints ? { fingerprints: d.sets } : { ids: d instanceof Set ? (d as Set<string | number>) : new Set() };
  return { ...stats, duplicates };
}

export function decodeStats(stats: EncodedStats): DatasetStats {
  const e = stats.duplicates;
  return { ...stats, duplicates: "fingerprints" in e ? new DuplicateFingerprints(e.fingerprints) : e.ids };
}

export function encodeError(err: unknown, depth = 0): EncodedError {
  if (!(err instanceof Error)) return { kind: "other", name: "Error", message: String(err) };
  const out: EncodedError = { kind: "other", name: err.name, message: err.message };
  if (err.stack !== undefined) out.stack = err.stack;
  if (err instanceof DatasetError) {
    out.kind = "dataset";
    out.code = err.code;
    out.hint = err.hint;
    out.place = placeOf(err);
  } else if (err instanceof HttpError) {
    out.kind = "http";
    out.code = err.code;
    out.hint = err.hint;
    const http: Omit<HttpErrorDetails, "cause"> = { url: err.url, attempts: err.attempts, hint: err.hint };
    if (err.status !== undefined) http.status = err.status;
    if (err.bodyExcerpt !== undefined) http.bodyExcerpt = err.bodyExcerpt;
    if (err.bytesReceived !== undefined) http.bytesReceived = err.bytesReceived;
    if (err.bytesExpected !== undefined) http.bytesExpected = err.bytesExpected;
    out.http = http;
  } else {
    // Other errors (ContractError, system errors) keep a string code and hint when they have one.
    const { code, hint } = err as { code?: unknown; hint?: unknown };
    if (typeof code === "string") out.code = code;
    if (typeof hint === "string") out.hint = hint;
  }
  if (err.cause !== undefined && depth < 4) out.cause = encodeError(err.cause, depth + 1);
  return out;
}

export function decodeError(e: EncodedError): Error {
  const cause = e.cause === undefined ? undefined : decodeError(e.cause);
  const options = cause === undefined ? undefined : { cause };
  let err: Error;
  if (e.kind === "dataset") {
    err = new DatasetError(e.code as DatasetErrorCode, e.message, e.hint ?? "", e.place ?? {}, options);
  } else if (e.kind === "http") {
    err = new HttpError(e.code as HttpErrorCode, e.message, { ...e.http!, ...(cause === undefined ? {} : { cause }) });
  } else {
    err = new Error(e.message, options);
    if (e.name !== "Error") Object.defineProperty(err, "name", { value: e.name, configurable: true, writable: true });
    if (e.code !== undefined) Object.assign(err, { code: e.code });
    if (e.hint !== undefined) Object.assign(err, { hint: e.hint });
  }
  // The worker's stack says where it failed; the main thread's would only point here.
  if (e.stack !== undefined) err.stack = e.stack;
  return err;
}

function placeOf(err: DatasetError): DatasetErrorPlace {
  const out: DatasetErrorPlace = {};
  if (err.byteOffset !== undefined) out.byteOffset = err.byteOffset;
  if (err.row !== undefined) out.row = err.row;
  if (err.column !== undefined) out.column = err.column;
  if (err.url !== undefined) out.url = err.url;
  return out;
}
