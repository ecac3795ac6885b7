/** Messages between the parallel decoder (decode-pool.ts) and its worker threads (decode-worker.ts). */
import type { PlanInput } from "./column-plan.js";

export interface DecodeWorkerInit {
  columns: string[];
  plan: Omit<PlanInput, "url">;
  trackDuplicates: boolean;
  /** Rows the worker's decoder holds before it moves them to the segment's output. */
  batchRows: number;
}

/** The first message to a worker started before the plan was known (WarmWorkers). */
export interface DecodeWorkerStart {
  init: DecodeWorkerInit;
}

/** A segment of the data array: bytes [0, length) of `buffer` (transferred, and always sent back), starting at a guessed row start. */
export interface DecodeRequest {
  seq: number;
  buffer: ArrayBuffer;
  length: number;
  /** Where the rows go when they fit: `capacity` rows x width float32, and 2 x capacity uint32 fingerprints. */
  slot: OutputSlot;
}

export interface OutputSlot {
  capacity: number;
  features: SharedArrayBuffer;
  hashes: SharedArrayBuffer;
}

export type DecodeResponse =
  | {
      seq: number;
      /** The request's segment buffer, handed back. */
      buffer: ArrayBuffer;
      /** Every byte was decoded as whole rows, each followed by ',': the rows are what a sequential decode gives. */
      clean: true;
      rows: number;
      /** rows x width float32 (transferred) when the rows did not fit the slot; else they are in the slot. */
      features?: ArrayBuffer;
      userIds: (string | number)[];
      extras: unknown[][];
      /** [h1, h2] per row (transferred) when duplicates are tracked and the rows did not fit the slot. */
      hashes?: ArrayBuffer;
      missing: Float64Array;
      invalid: Float64Array;
      unknown: Float64Array;
    }
  | {
      seq: number;
      buffer: ArrayBuffer;
      /** Not whole rows from this start (a wrong guess, the end of the array, bad JSON): decode it in order. */
      clean: false;
    };
